"""MiniLMEncoder: the packaged all-MiniLM-L6-v2, loaded once for this module."""

from __future__ import annotations

import csv
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bastion.detectors import DetectorError
from bastion.detectors._minilm import DIM, MiniLMEncoder
from bastion.detectors._static import default_static_embedder
from tests.shared_data import shared_data

pytest.importorskip("sentence_transformers")


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return MiniLMEncoder()


def test_lazy_concurrent_first_use_loads_once(encoder: MiniLMEncoder) -> None:
    assert encoder._model is None  # nothing heavy until the first encode
    texts = [["first thread"], ["second thread"], ["third thread"]]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(encoder.encode, texts))
    model = encoder._model
    assert model is not None
    assert all(r.shape == (1, DIM) for r in results)
    encoder.encode(["again"])
    assert encoder._model is model


def test_unit_float32_vectors_and_determinism(encoder: MiniLMEncoder) -> None:
    texts = ["A cat sat on the mat.", "", "\ud800 lone surrogate", "x" * 100_000]
    first = encoder.encode(texts)
    assert first.dtype == np.float32 and first.shape == (4, DIM)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-4)
    np.testing.assert_allclose(encoder.encode(texts), first, atol=1e-6)
    assert encoder.encode([]).shape == (0, DIM)


def test_semantics(encoder: MiniLMEncoder) -> None:
    a, b, c = encoder.encode(
        ["How do I reset my password?", "I forgot my password, how to change it?", "Paris in May"]
    )
    assert a @ b > 0.6 > a @ c


def test_missing_model_directory(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="no MiniLM model directory"):
        MiniLMEncoder(tmp_path / "absent").encode(["x"])


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(DetectorError, match=r"bastion-safety\[embed\]"):
        MiniLMEncoder().encode(["x"])


def test_static_distillate_ranks_pairs_like_minilm(encoder: MiniLMEncoder) -> None:
    """The model card's sanity figure: Spearman of pair similarities on TruthfulQA."""
    from scipy.stats import spearmanr

    path = shared_data("truthfulqa", "TruthfulQA.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = random.Random(0).sample(list(csv.DictReader(handle)), 300)
    pairs = []
    for i, row in enumerate(rows):
        if i % 3 == 0:
            pairs.append((row["Question"], row["Best Answer"]))
        elif i % 3 == 1:
            pairs.append((row["Best Answer"], row["Incorrect Answers"].split(";")[0].strip()))
        else:
            pairs.append((row["Question"], rows[(i * 7 + 1) % len(rows)]["Question"]))
    left, right = [p[0] for p in pairs], [p[1] for p in pairs]
    static = default_static_embedder()
    static_sims = (static.encode(left) * static.encode(right)).sum(axis=1)
    minilm_sims = (encoder.encode(left) * encoder.encode(right)).sum(axis=1)
    rho = spearmanr(static_sims, minilm_sims).statistic
    assert rho > 0.8, rho  # measured 0.875
