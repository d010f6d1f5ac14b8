"""Classification metrics of detectors, in plain NumPy: F1, AUROC, calibration, thresholds.

Scores here are flagged when ``score >= threshold``, the convention of
:attr:`bastion.detectors.Detector.thresholds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


@dataclass(frozen=True, slots=True)
class ClassMetrics:
    """How well one class is found.

    Attributes:
        precision: Of the texts predicted as the class, the fraction that are (0 when none are).
        recall: Of the texts of the class, the fraction predicted as it (0 when there are none).
        f1: The harmonic mean of the two (0 when both are 0).
        support: How many texts are of the class.
    """

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class ClassificationReport:
    """Accuracy, F1, AUROC and calibration of predictions over labelled texts.

    Attributes:
        labels: The classes, in the column order of the probabilities.
        n: How many texts were scored.
        accuracy: The fraction predicted correctly.
        macro_f1: The unweighted mean of the per-class F1.
        weighted_f1: The per-class F1 weighted by support.
        per_class: Precision, recall, F1 and support of each label.
        auroc: Binary: of the second label's probability. Multi-class: the
            macro mean of one-vs-rest AUROCs over the labels that have both
            positives and negatives. ``None`` when no label has both.
        ece: Expected calibration error of the predicted class's probability
            (15 equal-width bins).
        positive_ece: Binary only: expected calibration error of the second
            label's probability; ``None`` otherwise.
        confusion: Counts, rows the true label, columns the predicted one.
    """

    labels: tuple[str, ...]
    n: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_class: dict[str, ClassMetrics]
    auroc: float | None
    ece: float
    positive_ece: float | None
    confusion: tuple[tuple[int, ...], ...]

    def to_dict(self) -> dict[str, object]:
        """The report as plain JSON-ready values."""
        return {
            "labels": list(self.labels),
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "weighted_f1": self.weighted_f1,
            "per_class": {
                label: {
                    "precision": m.precision,
                    "recall": m.recall,
                    "f1": m.f1,
                    "support": m.support,
                }
                for label, m in self.per_class.items()
            },
            "auroc": self.auroc,
            "ece": self.ece,
            "positive_ece": self.positive_ece,
            "confusion": [list(row) for row in self.confusion],
        }

    def to_text(self) -> str:
        """A readable table: per-class scores, then the summary figures."""
        width = max(12, *(len(label) for label in self.labels))
        lines = [f"{'':<{width}}  precision  recall     f1  support"]
        for label, m in self.per_class.items():
            scores = f"{m.precision:9.3f}  {m.recall:6.3f}  {m.f1:5.3f}  {m.support:7d}"
            lines.append(f"{label:<{width}}  {scores}")
        lines.append("")
        auroc = "n/a" if self.auroc is None else f"{self.auroc:.3f}"
        lines.append(f"{'accuracy':<{width}}  {self.accuracy:.3f}  (n={self.n})")
        lines.append(f"{'macro f1':<{width}}  {self.macro_f1:.3f}")
        lines.append(f"{'weighted f1':<{width}}  {self.weighted_f1:.3f}")
        lines.append(f"{'auroc':<{width}}  {auroc}")
        lines.append(f"{'ece':<{width}}  {self.ece:.3f}")
        if self.positive_ece is not None:
            lines.append(f"{'positive ece':<{width}}  {self.positive_ece:.3f}")
        return "\n".join(lines)


def classification_report(
    y_true: Sequence[str],
    probabilities: ArrayLike,
    labels: Sequence[str],
    *,
    predictions: Sequence[str] | None = None,
) -> ClassificationReport:
    """Measure predicted probabilities against the true labels.

    Args:
        y_true: The true label of each text; each one of *labels*.
        probabilities: Shape ``(n, len(labels))``, in [0, 1]; rows need not
            sum to 1.
        labels: The classes, in column order; for two, the second is the
            positive class of ``auroc`` and ``positive_ece``.
        predictions: The predicted labels, when they are not the most probable
            column (a tuned threshold, say); ``ece`` then uses the
            probability of the predicted label.

    Raises:
        ValueError: On mismatched shapes, unknown labels or out-of-range
            probabilities.
    """
    labels = tuple(labels)
    probs = np.asarray(probabilities, dtype=np.float64)
    n = len(y_true)
    if probs.ndim != 2 or probs.shape != (n, len(labels)):
        raise ValueError(f"probabilities of shape {probs.shape}, expected ({n}, {len(labels)})")
    if len(set(labels)) != len(labels) or len(labels) < 2:
        raise ValueError(f"labels must be at least two distinct names, not {labels}")
    if not np.all((probs >= 0.0) & (probs <= 1.0)):
        raise ValueError("probabilities must be finite and in [0, 1]")
    truth = _indices(y_true, labels, "y_true")
    if predictions is None:
        predicted = np.argmax(probs, axis=1) if n else np.zeros(0, dtype=np.int64)
    else:
        if len(predictions) != n:
            raise ValueError(f"{len(predictions)} predictions for {n} texts")
        predicted = _indices(predictions, labels, "predictions")

    k = len(labels)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    tp = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1)
    precision = _ratio(tp, confusion.sum(axis=0))
    recall = _ratio(tp, support)
    f1 = _ratio(2.0 * tp, confusion.sum(axis=0) + support)
    per_class = {
        label: ClassMetrics(float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
        for i, label in enumerate(labels)
    }

    if k == 2:
        positive = truth == 1
        auroc = _auroc_or_none(probs[positive, 1], probs[~positive, 1])
        positive_ece: float | None = expected_calibration_error(probs[:, 1], positive)
    else:
        aurocs = [_auroc_or_none(probs[truth == c, c], probs[truth != c, c]) for c in range(k)]
        defined = [a for a in aurocs if a is not None]
        auroc = float(np.mean(defined)) if defined else None
        positive_ece = None
    confidence = probs[np.arange(n), predicted]
    return ClassificationReport(
        labels=labels,
        n=n,
        accuracy=float(tp.sum() / n) if n else 0.0,
        macro_f1=float(f1.mean()),
        weighted_f1=float((f1 * support).sum() / support.sum()) if n else 0.0,
        per_class=per_class,
        auroc=auroc,
        ece=expected_calibration_error(confidence, predicted == truth),
        positive_ece=positive_ece,
        confusion=tuple(tuple(int(c) for c in row) for row in confusion),
    )


def binary_auroc(pos_scores: ArrayLike, neg_scores: ArrayLike) -> float:
    """Area under the ROC curve: the chance a positive outscores a negative, ties counting half.

    Computed from average ranks (Mann-Whitney U), so tied scores are handled
    exactly.

    Raises:
        ValueError: When either side is empty.
    """
    pos = np.asarray(pos_scores, dtype=np.float64).ravel()
    neg = np.asarray(neg_scores, dtype=np.float64).ravel()
    if pos.size == 0 or neg.size == 0:
        raise ValueError("AUROC needs at least one positive and one negative score")
    ranks = _average_ranks(np.concatenate([pos, neg]))
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def expected_calibration_error(
    confidences: ArrayLike, outcomes: ArrayLike, *, n_bins: int = 15
) -> float:
    """Expected calibration error over equal-width bins of [0, 1].

    The support-weighted mean, over bins, of ``|mean(outcomes) -
    mean(confidences)|``. Bins are closed on the right, ``(lo, hi]``, the
    first one also holding 0. For top-label ECE pass the predicted class's
    probability and whether the prediction was right; for a binary detector,
    the positive probability and whether the text is positive.

    Args:
        confidences: Probabilities in [0, 1].
        outcomes: 1 (or ``True``) where the event happened, else 0.
        n_bins: How many bins (15, as Guo et al. 2017).
    """
    conf = np.asarray(confidences, dtype=np.float64).ravel()
    hits = np.asarray(outcomes, dtype=np.float64).ravel()
    if conf.shape != hits.shape:
        raise ValueError(f"{conf.size} confidences for {hits.size} outcomes")
    if conf.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], conf, side="left")
    count = np.bincount(bins, minlength=n_bins).astype(np.float64)
    gap = np.abs(
        np.bincount(bins, weights=hits, minlength=n_bins)
        - np.bincount(bins, weights=conf, minlength=n_bins)
    )
    # |sum(hits) - sum(conf)| / n per bin equals weight * |acc - conf|.
    return float(gap.sum() / count.sum())


def threshold_for_fpr(benign_scores: ArrayLike, fpr: float) -> float:
    """The smallest threshold that flags at most a fraction *fpr* of benign scores.

    A score is flagged when ``score >= threshold``, so tied scores are all
    flagged or none: the result is one of the benign scores (the smallest
    whose flagged fraction, ties included, is ``<= fpr``), and the FPR it
    achieves may sit below *fpr* when ties straddle the budget. When even the
    largest score's ties exceed *fpr* (``fpr=0``, say), it is the next float
    above the largest score, which flags none of them.

    Raises:
        ValueError: When there are no scores or *fpr* is outside [0, 1].
    """
    scores = np.sort(np.asarray(benign_scores, dtype=np.float64).ravel())
    if scores.size == 0:
        raise ValueError("threshold_for_fpr needs at least one benign score")
    if not 0.0 <= fpr <= 1.0:
        raise ValueError(f"fpr must be in [0, 1], not {fpr}")
    values, first = np.unique(scores, return_index=True)
    flagged = (scores.size - first) / scores.size
    within = np.flatnonzero(flagged <= fpr)
    if within.size == 0:
        return float(np.nextafter(values[-1], np.inf))
    return float(values[within[0]])


def recall_at_fpr(pos_scores: ArrayLike, neg_scores: ArrayLike, fpr: float) -> float:
    """The fraction of positives flagged at :func:`threshold_for_fpr` of the negatives."""
    pos = np.asarray(pos_scores, dtype=np.float64).ravel()
    if pos.size == 0:
        raise ValueError("recall_at_fpr needs at least one positive score")
    return float(np.mean(pos >= threshold_for_fpr(neg_scores, fpr)))


def _average_ranks(values: FloatArray) -> FloatArray:
    """1-based ranks, tied values sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mean_rank = ends - (counts - 1) / 2.0
    return np.asarray(mean_rank[inverse.ravel()], dtype=np.float64)


def _auroc_or_none(pos: FloatArray, neg: FloatArray) -> float | None:
    return binary_auroc(pos, neg) if pos.size and neg.size else None


def _ratio(num: FloatArray, den: npt.NDArray[np.int64] | FloatArray) -> FloatArray:
    """``num / den`` with 0 where ``den`` is 0 (sklearn's ``zero_division=0``)."""
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _indices(values: Sequence[str], labels: tuple[str, ...], name: str) -> npt.NDArray[np.int64]:
    position = {label: i for i, label in enumerate(labels)}
    unknown = sorted({v for v in values if v not in position})
    if unknown:
        raise ValueError(f"{name} has labels {unknown} not among {list(labels)}")
    return np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values))
