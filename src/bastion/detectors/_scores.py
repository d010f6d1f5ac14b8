"""What a detector returns: calibrated probabilities per label, for a batch of texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of a text that a detector flagged (for redaction and explanation).

    Attributes:
        start: Index of the first character (Python ``str`` indexing).
        end: Index one past the last character.
        label: What was found there (``email``, ``payment_card`` ...).
        score: How sure the detector is, in [0, 1].
    """

    start: int
    end: int
    label: str
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class Evidence:
    """A known item a text matched (a claim from a claims database, say).

    Attributes:
        text: The matched item's text.
        verdict: What is known of it (``false``, ``pants-fire`` ...).
        similarity: Cosine similarity to the scored text, in [-1, 1].
        source: Where the item comes from (file and line, or an id).
    """

    text: str
    verdict: str
    similarity: float
    source: str = ""


@dataclass(frozen=True, slots=True)
class ScoreBatch:
    """Calibrated probabilities of every label of one detector, for a batch of texts.

    Attributes:
        detector: The registered name of the detector (``bastion/toxicity``).
        labels: The column names, in order.
        scores: ``float32`` array of shape ``(len(texts), len(labels))``; each
            value is a calibrated probability in [0, 1].
        spans: Per text, the spans found, for detectors that locate what they
            flag (PII); ``None`` otherwise.
        evidence: Per text, the known items it matched (claims); ``None`` otherwise.
    """

    detector: str
    labels: tuple[str, ...]
    scores: npt.NDArray[np.float32]
    spans: tuple[tuple[Span, ...], ...] | None = None
    evidence: tuple[tuple[Evidence, ...], ...] | None = None

    def __post_init__(self) -> None:
        if self.scores.ndim != 2 or self.scores.shape[1] != len(self.labels):
            raise ValueError(
                f"{self.detector}: scores of shape {self.scores.shape} do not match "
                f"{len(self.labels)} labels"
            )
        for name, per_text in (("spans", self.spans), ("evidence", self.evidence)):
            if per_text is not None and len(per_text) != self.scores.shape[0]:
                raise ValueError(
                    f"{self.detector}: {len(per_text)} {name} entries for "
                    f"{self.scores.shape[0]} texts"
                )

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    def column(self, label: str) -> npt.NDArray[np.float32]:
        """The probabilities of *label* for every text."""
        try:
            return self.scores[:, self.labels.index(label)]
        except ValueError:
            raise KeyError(
                f"{self.detector} has no label {label!r}; its labels: {', '.join(self.labels)}"
            ) from None

    def columns(self) -> dict[str, npt.NDArray[np.float32]]:
        """Every label's column, by label."""
        return {label: self.scores[:, i] for i, label in enumerate(self.labels)}

    @classmethod
    def empty(cls, detector: str, labels: Sequence[str]) -> ScoreBatch:
        """A batch of no texts."""
        return cls(detector, tuple(labels), np.zeros((0, len(labels)), dtype=np.float32))
