"""A cascade: the fast model decides the clear cases, the embedding model the uncertain band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bastion.detectors._errors import DetectorError
from bastion.detectors._fast import FastTextDetector
from bastion.detectors._scores import ScoreBatch


@dataclass(frozen=True)
class CascadeDetector:
    """Scores with *fast*; texts whose harm falls in ``[low, high)`` are rescored by *slow*.

    Harm is the probability of the harmful classes (every class a column
    sums). Both models must have the same columns.

    Attributes:
        name: The registered name.
        fast: The first, cheap model.
        slow: The model for the uncertain band.
        low: Below it, *fast* decides "clean".
        high: At or above it, *fast* decides "harmful".
    """

    name: str
    fast: FastTextDetector
    slow: FastTextDetector
    low: float = 0.2
    high: float = 0.8

    def __post_init__(self) -> None:
        if self.fast.labels != self.slow.labels:
            raise DetectorError(
                f"{self.name}: the models' columns differ: "
                f"{self.fast.labels} and {self.slow.labels}"
            )
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise DetectorError(
                f"{self.name}: need 0 <= low <= high <= 1, got {self.low} and {self.high}"
            )

    @property
    def labels(self) -> tuple[str, ...]:
        """The columns :meth:`score` returns."""
        return self.fast.labels

    @property
    def thresholds(self) -> Mapping[str, float]:
        """The slow model's thresholds (it decides every case near them)."""
        return self.slow.thresholds

    def score(self, texts: Sequence[str]) -> ScoreBatch:
        """Fast scores, with the uncertain band replaced by the slow model's."""
        batch = self.fast.score(texts)
        scores = batch.scores.copy()
        harm = scores.max(axis=1) if len(texts) else np.zeros(0, dtype=np.float32)
        uncertain = np.flatnonzero((harm >= self.low) & (harm < self.high))
        if len(uncertain):
            rescored = self.slow.score([texts[int(i)] for i in uncertain])
            scores[uncertain] = rescored.scores
        return ScoreBatch(self.name, self.labels, scores)

    def escalation_rate(self, texts: Sequence[str]) -> float:
        """The share of *texts* the slow model would see."""
        if not texts:
            return 0.0
        harm = self.fast.score(texts).scores.max(axis=1)
        return float(((harm >= self.low) & (harm < self.high)).mean())
