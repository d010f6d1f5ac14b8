"""FastTextDetector, LinearHead and fit_detector on a tiny synthetic training set."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bastion.detectors import (
    DetectorError,
    FastTextDetector,
    ModelNotFoundError,
    NgramHasher,
    Output,
    Windows,
    load_detector,
    load_fast,
)
from bastion.detectors._fit import HeadSpec, calibrate_head, fit_detector
from bastion.testing import check_detector

pytest.importorskip("sklearn")

NICE = "lovely kind sunny garden music friend coffee happy calm gentle bright warm".split()
NASTY = "idiot moron stupid loser trash pathetic dumb ugly worthless clown".split()
FILLER = "the a and of to we you it was is on at this that".split()
SPEC = HeadSpec(
    name="test/synthetic",
    classes=("clean", "toxic"),
    outputs=(Output("toxic", ("toxic",)),),
    hasher=NgramHasher(bits=14),
    c=1.0,
    windows=Windows(size=64, stride=32),
)


def synthetic(count: int, seed: int, noise: float = 0.0) -> tuple[list[str], list[str]]:
    """Short texts of filler words with nice or nasty words; *noise* flips labels."""
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(count):
        toxic = rng.random() < 0.5
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
        for _ in range(rng.randint(1, 2)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(NASTY if toxic else NICE))
        texts.append(" ".join(words))
        flipped = rng.random() < noise
        labels.append("toxic" if toxic != flipped else "clean")
    return texts, labels


@pytest.fixture(scope="module")
def fitted() -> FastTextDetector:
    texts, labels = synthetic(400, seed=0)
    calibration = synthetic(200, seed=1, noise=0.05)
    return fit_detector(texts, labels, SPEC, calibration=calibration, meta={"note": "x"})


def test_fitted_detector_separates_and_conforms(fitted: FastTextDetector) -> None:
    scores = fitted.score(["you stupid idiot", "a lovely sunny garden"]).column("toxic")
    assert scores[0] > 0.8 > 0.2 > scores[1]
    assert fitted.meta["note"] == "x" and "calibration" in fitted.meta
    check_detector(fitted, huge_chars=20_000)


def test_save_and_load_round_trip(fitted: FastTextDetector, tmp_path: Path) -> None:
    texts, _ = synthetic(50, seed=2)
    path = tmp_path / "synthetic.npz"
    fitted.save(path)
    loaded = load_fast(path)
    assert loaded.name == fitted.name and loaded.labels == fitted.labels
    assert loaded.thresholds == fitted.thresholds and loaded.windows == fitted.windows
    assert loaded.hasher == fitted.hasher
    # Weights are stored as float16: within a rounding of the fitted scores ...
    np.testing.assert_allclose(loaded.score(texts).scores, fitted.score(texts).scores, atol=2e-3)
    # ... and a second round trip changes nothing at all.
    again = tmp_path / "again.npz"
    loaded.save(again)
    np.testing.assert_array_equal(load_fast(again).score(texts).scores, loaded.score(texts).scores)


def test_a_toxic_passage_at_the_end_of_a_long_text_speaks_for_it(
    fitted: FastTextDetector,
) -> None:
    passage = "you stupid idiot"
    # Windows as long as the passage: the last one is the passage itself.
    detector = replace(fitted, windows=Windows(size=len(passage), stride=5))
    rng = random.Random(3)
    benign = " ".join(rng.choice(NICE) for _ in range(300))
    alone = float(detector.score([passage]).column("toxic")[0])
    at_end, clean, first = detector.score(
        [f"{benign} {passage}", benign, f"{passage} {benign}"]
    ).column("toxic")
    assert clean < 0.5 <= alone
    assert at_end >= alone - 1e-6 and first >= alone - 1e-6
    # One row per text, however many windows a text is cut into.
    assert len(detector.windows.cut([benign])[0]) > 100


def test_windows_cut_long_texts_with_overlap() -> None:
    pieces, owners = Windows(size=10, stride=5).cut(["short", "x" * 23])
    assert pieces[0] == "short" and owners.tolist()[0] == 0
    assert all(len(p) == 10 for p in pieces[1:]) and set(owners.tolist()[1:]) == {1}
    assert len(pieces) == 1 + 4  # starts 0, 5, 10 and the last 13


def _nll(detector: FastTextDetector, texts: list[str], labels: list[str]) -> float:
    probabilities = detector.class_probabilities(texts)
    rows = np.arange(len(texts))
    columns = [detector.head.classes.index(label) for label in labels]
    return float(-np.log(np.clip(probabilities[rows, columns], 1e-12, 1.0)).mean())


def test_calibration_lowers_held_out_log_loss() -> None:
    texts, labels = synthetic(200, seed=4, noise=0.15)
    overconfident = fit_detector(texts, labels, replace(SPEC, c=100.0))
    held_out = synthetic(400, seed=5, noise=0.15)
    calibrated = calibrate_head(overconfident, *held_out)
    test = synthetic(400, seed=6, noise=0.15)
    before, after = _nll(overconfident, *test), _nll(calibrated, *test)
    assert after < before, (before, after)
    assert calibrated.head.scale < 1.0  # an overconfident head is cooled
    assert calibrated.meta["calibration"]["examples"] == 400


def test_fit_refuses_unknown_or_missing_classes() -> None:
    with pytest.raises(DetectorError, match=r"labels \['spam'\] are not among"):
        fit_detector(["a", "b"], ["clean", "spam"], SPEC)
    with pytest.raises(DetectorError, match=r"no training example of \['toxic'\]"):
        fit_detector(["a", "b"], ["clean", "clean"], SPEC)


def test_with_thresholds(fitted: FastTextDetector) -> None:
    stricter = fitted.with_thresholds({"toxic": 0.9})
    assert stricter.thresholds == {"toxic": 0.9} and fitted.thresholds == {"toxic": 0.5}
    texts = ["you stupid idiot", "calm garden"]
    np.testing.assert_array_equal(stricter.score(texts).scores, fitted.score(texts).scores)
    with pytest.raises(DetectorError, match=r"no columns \['hate'\]"):
        fitted.with_thresholds({"hate": 0.5})


def test_outputs_must_name_known_classes(fitted: FastTextDetector) -> None:
    with pytest.raises(DetectorError, match=r"unknown classes \['spam'\]"):
        FastTextDetector("test/bad", fitted.head, (Output("spam", ("spam",)),))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip file at all", "not a readable model file"),
        (None, "malformed model file"),
    ],
)
def test_malformed_model_file_names_the_file(
    fitted: FastTextDetector, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "broken.npz"
    if content is None:  # a real model file whose metadata lost a field
        fitted.save(path)
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        arrays["meta"] = np.array(str(arrays["meta"]).replace('"hasher"', '"hashr"'))
        np.savez(path, **arrays)
    else:
        path.write_bytes(content)
    with pytest.raises(DetectorError, match=message) as raised:
        load_fast(path)
    assert str(path) in str(raised.value)


def test_missing_model_names_the_train_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BASTION_MODELS", raising=False)
    monkeypatch.setattr("bastion.detectors._model_files.PACKAGED_MODELS", tmp_path / "none")
    with pytest.raises(ModelNotFoundError) as raised:
        load_detector("bastion/toxicity", model_dir=tmp_path)
    error = raised.value
    assert error.name == "bastion/toxicity"
    assert str(tmp_path / "toxicity.npz") in error.path
    assert "bastion detectors train toxicity --data" in str(error)
