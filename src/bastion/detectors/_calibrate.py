"""Thresholds for a false-positive budget: flag at most a fraction *fpr* of benign texts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from bastion.detectors._errors import DetectorError
from bastion.detectors._fast import FastTextDetector
from bastion.detectors._metrics import threshold_for_fpr

META_KEY = "threshold_calibration"
"""Where the model's metadata records how its thresholds were chosen."""


def calibrate_thresholds(
    detector: FastTextDetector,
    benign_texts: Sequence[str],
    fpr: float,
    *,
    source: str = "",
) -> FastTextDetector:
    """A copy of *detector* whose every column flags at most *fpr* of *benign_texts*.

    Each column's threshold is :func:`threshold_for_fpr` of its scores on the
    benign texts; ties can leave the achieved rate below the budget. The
    metadata records, under ``threshold_calibration``, the budget, *source*
    (the benign file's name), how many texts there were and the rate achieved
    per column.

    Args:
        detector: A fast-family detector.
        benign_texts: Texts that should not be flagged.
        fpr: The false-positive budget, in [0, 1].
        source: Where the benign texts come from, for the record.

    Raises:
        DetectorError: No benign texts, or *fpr* outside [0, 1].
    """
    if not benign_texts:
        raise DetectorError(f"{detector.name}: calibrating needs at least one benign text")
    if not 0.0 <= fpr <= 1.0:
        raise DetectorError(
            f"{detector.name}: the false-positive rate must be in [0, 1], not {fpr}"
        )
    scores = detector.score(list(benign_texts))
    thresholds: dict[str, float] = {}
    achieved: dict[str, float] = {}
    for label in detector.labels:
        column = scores.column(label)
        threshold = threshold_for_fpr(column, fpr)
        if threshold > float(column.max()):
            # Scores are float32 and compared in float32: the float64 step above the
            # top score rounds back down to it, so step in float32 instead.
            threshold = float(np.nextafter(column.max(), np.float32(np.inf)))
        thresholds[label] = threshold
        achieved[label] = float(np.mean(column >= threshold))
    record = {
        "fpr": fpr,
        "benign": source,
        "benign_count": len(benign_texts),
        "achieved_fpr": achieved,
    }
    calibrated = detector.with_thresholds(thresholds)
    return dataclasses.replace(calibrated, meta={**calibrated.meta, META_KEY: record})
