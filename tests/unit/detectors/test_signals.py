"""Detector scores as signal columns: names, collisions and validation."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.detectors import DetectorError, ScoreBatch, signal_columns, signal_names
from bastion.detectors._signals import short_name


def _batch(name: str, labels: tuple[str, ...], rows: int = 3) -> ScoreBatch:
    scores = np.linspace(0, 1, rows * len(labels), dtype=np.float32).reshape(rows, len(labels))
    return ScoreBatch(name, labels, scores)


def test_columns_keep_their_labels_as_names() -> None:
    toxicity = _batch("bastion/toxicity", ("toxicity", "hate", "offensive"))
    pii = _batch("bastion/pii", ("pii", "email"))
    columns = signal_columns([toxicity, pii])
    assert list(columns) == ["toxicity", "hate", "offensive", "pii", "email"]
    np.testing.assert_array_equal(columns["hate"], toxicity.column("hate"))
    np.testing.assert_array_equal(columns["email"], pii.column("email"))
    assert all(c.dtype == np.float32 and c.flags.c_contiguous for c in columns.values())


def test_shared_names_are_prefixed_whatever_the_order() -> None:
    fast = _batch("bastion/toxicity", ("toxicity", "hate"))
    minilm = _batch("bastion/toxicity-minilm", ("toxicity", "hate"))
    other = _batch("acme/Spam", ("spam", "hate"))
    names = signal_names([(b.detector, b.labels) for b in (fast, minilm, other)])
    assert names == [
        ("toxicity_toxicity", "toxicity_hate"),
        ("toxicity_minilm_toxicity", "toxicity_minilm_hate"),
        ("spam", "acme_spam_hate"),
    ]
    flipped = signal_columns([other, minilm, fast])
    np.testing.assert_array_equal(flipped["toxicity_minilm_hate"], minilm.column("hate"))
    assert set(flipped) == {n for row in names for n in row}


def test_short_names() -> None:
    assert short_name("bastion/prompt_injection") == "prompt_injection"
    assert short_name("acme/toxicity-v2") == "acme_toxicity_v2"


@pytest.mark.parametrize("label", ["Toxicity", "hate-speech", "1st", ""])
def test_labels_must_be_signal_names(label: str) -> None:
    with pytest.raises(DetectorError, match="not a valid signal name"):
        signal_columns([_batch("acme/x", (label,))])


def test_the_same_detector_twice_is_refused() -> None:
    batch = _batch("bastion/jailbreak", ("jailbreak",))
    with pytest.raises(DetectorError, match="give each detector once"):
        signal_columns([batch, batch])


def test_batches_must_score_the_same_texts() -> None:
    with pytest.raises(DetectorError, match="different lengths"):
        signal_columns([_batch("acme/a", ("a",), 2), _batch("acme/b", ("b",), 3)])


def test_no_batches_no_columns() -> None:
    assert signal_columns([]) == {}
