"""The one extension point of this plane: ``Detector.score(texts) -> ScoreBatch``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from bastion.detectors._scores import ScoreBatch


@runtime_checkable
class Detector(Protocol):
    """Scores texts, a batch at a time.

    ``score`` must be deterministic, thread-safe, accept any ``str`` (empty,
    huge, any script, lone surrogates) and return one row per text, in order;
    :func:`bastion.testing.check_detector` checks all of it.

    Attributes:
        name: The registered name (``bastion/toxicity``).
        labels: The columns :meth:`score` returns.
        thresholds: Per label, the probability at or above which a text is
            flagged (chosen for a false-positive budget by ``calibrate``).
    """

    @property
    def name(self) -> str: ...

    @property
    def labels(self) -> tuple[str, ...]: ...

    @property
    def thresholds(self) -> Mapping[str, float]: ...

    def score(self, texts: Sequence[str]) -> ScoreBatch:
        """Calibrated probabilities of every label for every text."""
        ...
