"""The detector suite passes a well-behaved detector and names the check a broken one fails."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from bastion.detectors import Evidence, ScoreBatch, Span
from bastion.testing import check_detector
from bastion.testing._detector import CHECKS

HUGE = 50_000  # enough to tell a crash; the real 1 MB runs in test_conformance


class Vowels:
    """Share of vowels among letters, and spans over each word holding an 'x'."""

    name = "test/vowels"
    labels: tuple[str, ...] = ("vowels", "x")
    thresholds: Mapping[str, float] = {"vowels": 0.5}

    def row(self, text: str) -> list[float]:
        letters = [c for c in text.casefold() if c.isalpha()]
        vowels = sum(c in "aeiou" for c in letters)
        return [vowels / len(letters) if letters else 0.0, float("x" in text)]

    def spans(self, text: str) -> tuple[Span, ...]:
        found = []
        position = 0
        for word in text.split(" "):
            if "x" in word:
                found.append(Span(position, position + len(word), "x"))
            position += len(word) + 1
        return tuple(found)

    def score(self, texts: Sequence[str]) -> ScoreBatch:
        rows = [self.row(t) for t in texts]
        scores = np.asarray(rows, dtype=np.float32).reshape(len(texts), len(self.labels))
        return ScoreBatch(self.name, self.labels, scores, spans=tuple(map(self.spans, texts)))


class Float64(Vowels):
    def score(self, texts: Sequence[str]) -> ScoreBatch:
        batch = super().score(texts)
        return ScoreBatch(self.name, self.labels, batch.scores.astype(np.float64))


class WrongName(Vowels):
    def score(self, texts: Sequence[str]) -> ScoreBatch:
        return ScoreBatch("test/other", self.labels, super().score(texts).scores)


class BareName(Vowels):
    name = "vowels"


class UnknownThreshold(Vowels):
    thresholds: Mapping[str, float] = {"vowels": 0.5, "consonants": 0.5}


class ThresholdAboveOne(Vowels):
    thresholds: Mapping[str, float] = {"vowels": 1.5}


class Logits(Vowels):
    def row(self, text: str) -> list[float]:
        return [value * 4 - 2 for value in super().row(text)]


class NaNOnEmpty(Vowels):
    def row(self, text: str) -> list[float]:
        return [float("nan"), 0.0] if not text else super().row(text)


class Sorted(Vowels):
    def score(self, texts: Sequence[str]) -> ScoreBatch:
        return super().score(sorted(texts))


class BatchNormalised(Vowels):
    def score(self, texts: Sequence[str]) -> ScoreBatch:
        batch = super().score(texts)
        if not len(texts):
            return batch
        scores = batch.scores / max(float(batch.scores.max()), 1e-3)
        return ScoreBatch(self.name, self.labels, scores.astype(np.float32), spans=batch.spans)


class Noisy(Vowels):
    def row(self, text: str) -> list[float]:
        return [min(1.0, super().row(text)[0] + random.random() * 9e-6), 0.0]  # under 1e-5


class Seeded(Vowels):
    """Deterministic per instance, but each instance draws its own offset."""

    def __init__(self) -> None:
        self.offset = random.random() * 0.1

    def row(self, text: str) -> list[float]:
        return [super().row(text)[0] * 0.9 + self.offset, 0.0]


class Utf8Only(Vowels):
    def row(self, text: str) -> list[float]:
        text.encode("utf-8")
        return super().row(text)


class Short(Vowels):
    def row(self, text: str) -> list[float]:
        if len(text) > 10_000:
            raise MemoryError("too long")
        return super().row(text)


class EmptyIsSpecial(Vowels):
    def score(self, texts: Sequence[str]) -> ScoreBatch:
        if not texts:
            return ScoreBatch(self.name, self.labels, np.zeros((0, 1), dtype=np.float32))
        return super().score(texts)


class OverlappingSpans(Vowels):
    def spans(self, text: str) -> tuple[Span, ...]:
        found = super().spans(text)
        return found + found[:1]


class SpanPastTheEnd(Vowels):
    def spans(self, text: str) -> tuple[Span, ...]:
        return tuple(Span(s.start, len(text) + 1, s.label) for s in super().spans(text))


class BadEvidence(Vowels):
    def score(self, texts: Sequence[str]) -> ScoreBatch:
        batch = super().score(texts)
        evidence = tuple((Evidence("claim", "false", 2.0),) for _ in texts)
        return ScoreBatch(self.name, self.labels, batch.scores, evidence=evidence)


class Racy(Vowels):
    """Keeps its rows in shared state between two steps: threads overwrite each other's."""

    def __init__(self) -> None:
        self.rows: list[list[float]] = []
        self.lock = threading.Lock()

    def score(self, texts: Sequence[str]) -> ScoreBatch:
        self.rows = [self.row(t) for t in texts]
        time.sleep(0.002)
        rows = self.rows[: len(texts)] + [[0.0, 0.0]] * max(0, len(texts) - len(self.rows))
        scores = np.asarray(rows, dtype=np.float32).reshape(len(texts), len(self.labels))
        return ScoreBatch(self.name, self.labels, scores, spans=tuple(map(self.spans, texts)))


def test_a_well_behaved_detector_passes_as_instance_and_as_factory() -> None:
    check_detector(Vowels(), huge_chars=HUGE)
    check_detector(Vowels, huge_chars=HUGE)
    check_detector(lambda: Vowels(), huge_chars=HUGE, threads=2)


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (Float64, "scores_are_probabilities: scores have dtype float64"),
        (WrongName, "scores_are_probabilities: the batch says detector 'test/other'"),
        (BareName, "describes_itself: name 'vowels' is not namespace/name"),
        (UnknownThreshold, r"describes_itself: thresholds for unknown labels \['consonants'\]"),
        (ThresholdAboveOne, "describes_itself: threshold 1.5"),
        (Logits, "scores_are_probabilities: score .* is not a probability"),
        (NaNOnEmpty, "scores_are_probabilities: score nan of 'vowels'"),
        (EmptyIsSpecial, "empty_batch: "),
        (Sorted, "rows_follow_input_order: "),
        (BatchNormalised, "huge_text: beside a huge text"),
        (Noisy, "deterministic: a second call"),
        (Seeded, "deterministic: a fresh instance"),
        (Utf8Only, "unencodable_text: raised UnicodeEncodeError"),
        (Short, "huge_text: raised MemoryError"),
        (OverlappingSpans, "spans of .* are unsorted or overlap"),
        (SpanPastTheEnd, "span .* lies outside a text"),
        (BadEvidence, r"evidence similarity 2.0 .* outside \[-1, 1\]"),
        (Racy, "thread_safe: thread "),
    ],
)
def test_a_broken_detector_fails_the_check_that_names_its_fault(
    broken: type[Vowels], check: str
) -> None:
    with pytest.raises(AssertionError, match=f"check_detector\\(.*\\): .*{check}"):
        check_detector(broken, huge_chars=HUGE)


def test_a_factory_that_builds_no_detector_is_refused() -> None:
    with pytest.raises(AssertionError, match="the factory returned int"):
        check_detector(lambda: 3)  # type: ignore[arg-type,return-value]


def test_checks_have_docstrings_and_unique_names() -> None:
    names = [check.__name__ for check in CHECKS]
    assert len(set(names)) == len(names)
    assert all(check.__doc__ for check in CHECKS)
