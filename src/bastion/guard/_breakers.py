"""Circuit breakers that trip on safety signals, not only on errors.

States: ``closed`` (normal) -> ``open`` when the watched value over the
window exceeds ``trip_above`` with at least ``min_events`` events; ``open``
applies the breaker's fallback and records nothing; after ``cooldown`` it
turns ``half_open``: requests run normally as probes, and once
``probe_events`` (default ``min_events``) have been seen the breaker closes
if the probe value is back under the threshold, else opens again.

Every method takes the time from the injected clock and holds the breaker's
own lock, so one breaker can be shared by many threads.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from bastion.core import BreakerState, BreakerStatus
from bastion.guard._window import SlidingCounts, population_stability_index
from bastion.policy import BreakerSpec


class CircuitBreaker:
    """One breaker of a bundle (see the module docstring for its states)."""

    def __init__(self, spec: BreakerSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._status = BreakerStatus.CLOSED
        self._opened_at = 0.0
        self._trips = 0
        self._probe_events = spec.probe_events or spec.min_events
        self._edges: npt.NDArray[np.float64] | None = None
        self._expected: npt.NDArray[np.float64] | None = None
        self._warmup: list[npt.NDArray[np.float64]] = []
        self._warmup_count = 0
        width = spec.bins if spec.watch == "score_psi" else 2
        self._window = SlidingCounts(spec.over, width=width)
        self._probe = np.zeros(width)
        if spec.reference is not None:
            self._set_reference(np.asarray(spec.reference, dtype=np.float64))

    @property
    def trips(self) -> int:
        """How many times the breaker has opened."""
        return self._trips

    def status(self, now: float) -> BreakerStatus:
        """The state at *now*, moving ``open`` to ``half_open`` after the cooldown."""
        with self._lock:
            return self._advance(now)

    def record(self, now: float, hits: float, total: float) -> None:
        """Record a rate observation: *hits* out of *total* events."""
        self._record(now, np.array((hits, total)))

    def record_scores(self, now: float, scores: npt.NDArray[np.float64]) -> None:
        """Record ranker scores for a ``score_psi`` breaker."""
        with self._lock:
            if self._edges is None:
                self._warmup.append(np.array(scores, dtype=np.float64))
                self._warmup_count += len(scores)
                if self._warmup_count >= self.spec.warmup_events:
                    self._set_reference(np.concatenate(self._warmup))
                    self._warmup = []
                return
        assert self._edges is not None
        counts = np.bincount(
            np.searchsorted(self._edges, scores, side="right"), minlength=self.spec.bins
        )
        self._record(now, counts.astype(np.float64))

    def snapshot(self, now: float) -> BreakerState:
        """The state and watched value at *now*."""
        with self._lock:
            status = self._advance(now)
            counts = self._probe if status is BreakerStatus.HALF_OPEN else self._window.totals(now)
            value, events = self._value(counts)
        return BreakerState(self.spec.id, status, value, int(events), self.spec.fallback)

    def reset(self) -> None:
        """Close the breaker and forget its window (an operator's action)."""
        with self._lock:
            self._status = BreakerStatus.CLOSED
            self._window.clear()
            self._probe[:] = 0.0

    def _record(self, now: float, values: npt.NDArray[np.float64]) -> None:
        with self._lock:
            status = self._advance(now)
            if status is BreakerStatus.OPEN:
                return
            if status is BreakerStatus.HALF_OPEN:
                self._probe += values
                value, events = self._value(self._probe)
                if events >= self._probe_events:
                    if value > self.spec.trip_above:
                        self._open(now)
                    else:
                        self._status = BreakerStatus.CLOSED
                        self._window.clear()
                return
            self._window.add(now, values)
            value, events = self._value(self._window.totals(now))
            if events >= self.spec.min_events and value > self.spec.trip_above:
                self._open(now)

    def _advance(self, now: float) -> BreakerStatus:
        if self._status is BreakerStatus.OPEN and now - self._opened_at >= self.spec.cooldown:
            self._status = BreakerStatus.HALF_OPEN
            self._probe[:] = 0.0
        return self._status

    def _open(self, now: float) -> None:
        self._status = BreakerStatus.OPEN
        self._opened_at = now
        self._trips += 1
        self._window.clear()

    def _value(self, counts: npt.NDArray[np.float64]) -> tuple[float, float]:
        if self.spec.watch == "score_psi":
            if self._expected is None:
                return 0.0, 0.0
            return population_stability_index(self._expected, counts), float(counts.sum())
        hits, total = float(counts[0]), float(counts[1])
        return (hits / total if total else 0.0), total

    def _set_reference(self, scores: npt.NDArray[np.float64]) -> None:
        quantiles = np.linspace(0, 1, self.spec.bins + 1)[1:-1]
        self._edges = np.quantile(scores, quantiles)
        counts = np.bincount(
            np.searchsorted(self._edges, scores, side="right"), minlength=self.spec.bins
        )
        self._expected = counts / counts.sum()
