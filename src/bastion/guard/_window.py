"""Sliding time windows of counts, in fixed buckets (no per-event storage)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


class SlidingCounts:
    """Sums of ``width`` counters over the last ``span`` seconds.

    The span is cut into ``buckets`` equal slots; a slot is reset when time
    moves into it again, so memory and cost per event are constant.
    """

    def __init__(self, span: float, *, width: int = 2, buckets: int = 20) -> None:
        self.span = span
        self.bucket_seconds = span / buckets
        self.counts: npt.NDArray[np.float64] = np.zeros((buckets, width))
        self.stamps: npt.NDArray[np.int64] = np.full(buckets, -(2**62), dtype=np.int64)

    def add(self, now: float, values: npt.ArrayLike) -> None:
        """Add *values* (one per counter) at time *now*."""
        tick = math.floor(now / self.bucket_seconds)
        slot = tick % len(self.stamps)
        if self.stamps[slot] != tick:
            self.stamps[slot] = tick
            self.counts[slot] = 0.0
        self.counts[slot] += values

    def totals(self, now: float) -> npt.NDArray[np.float64]:
        """Per-counter sums over the window ending at *now*."""
        tick = math.floor(now / self.bucket_seconds)
        live = self.stamps > tick - len(self.stamps)
        result: npt.NDArray[np.float64] = self.counts[live].sum(axis=0)
        return result

    def clear(self) -> None:
        """Forget everything."""
        self.counts[:] = 0.0
        self.stamps[:] = -(2**62)


def population_stability_index(
    expected: npt.NDArray[np.float64], actual_counts: npt.NDArray[np.float64], epsilon: float = 1e-4
) -> float:
    """PSI between reference proportions and observed counts over the same bins.

    ``sum((a - e) * ln(a / e))`` with proportions floored at *epsilon*;
    0.1 is commonly read as a moderate shift and 0.25 as a major one.
    """
    total = actual_counts.sum()
    if total <= 0:
        return 0.0
    actual = np.maximum(actual_counts / total, epsilon)
    reference = np.maximum(expected, epsilon)
    return float(np.sum((actual - reference) * np.log(actual / reference)))
