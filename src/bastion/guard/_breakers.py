"""Circuit breakers that trip on safety signals, not only on errors.

States: ``closed`` (normal) -> ``open`` when the watched value over the
window exceeds ``trip_above`` with at least ``min_events`` events; ``open``
applies the breaker's fallback and records nothing; after ``cooldown`` it
turns ``half_open``: requests run normally as probes, and once
``probe_events`` (default ``min_events``) have been seen the breaker closes
if the probe value is back under the threshold, else opens again.

Every method takes the time from the injected clock and holds the breaker's
own lock, so one breaker can be shared by many threads.

A breaker may also be shared by guard replicas (``Guard(..., shared=...)``):
then a :class:`~bastion.guard._shared.BreakerLink` carries its counts and
transitions to the other replicas, and while the link is live the breaker
decides on every replica's counts (see ``_shared.py``). It keeps its local
window all along, and falls back to it when the link is not live.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bastion.core import BreakerReport, BreakerState, BreakerStatus, SharedBreakerState
from bastion.guard._window import SlidingCounts, population_stability_index
from bastion.policy import BreakerSpec

if TYPE_CHECKING:
    from bastion.guard._shared import BreakerLink


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
        self._link: BreakerLink | None = None
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
        """The state and watched value at *now* (every replica's, when shared and live)."""
        with self._lock:
            status = self._advance(now)
            link = self._live_link(now)
            if status is BreakerStatus.HALF_OPEN:
                counts = self._probe if link is None else link.probe_view()
            else:
                counts = self._window.totals(now) if link is None else link.window_view()
            value, events = self._value(counts)
        return BreakerState(self.spec.id, status, value, int(events), self.spec.fallback)

    def reset(self) -> None:
        """Close the breaker and forget its window (an operator's action; shared when linked)."""
        with self._lock:
            self._set_closed()
            if self._link is not None:
                self._link.propose(BreakerStatus.CLOSED)

    # -- sharing between replicas (called by SharedBreakers) ---------------------

    @property
    def width(self) -> int:
        """How many counters the breaker's window has."""
        return len(self._probe)

    @property
    def buckets(self) -> int:
        """How many buckets its window has."""
        return len(self._window.stamps)

    @property
    def link(self) -> BreakerLink | None:
        """The link to other replicas, if shared."""
        return self._link

    def attach(self, link: BreakerLink) -> None:
        """Share this breaker through *link* (it stays local until the first exchange)."""
        with self._lock:
            self._link = link

    def report(self) -> BreakerReport:
        """What to send at the next exchange (the breaker must be attached)."""
        with self._lock:
            assert self._link is not None
            return self._link.take_report()

    def go_local(self) -> None:
        """The exchange failed: decide on local counts until the next one succeeds."""
        with self._lock:
            if self._link is not None:
                self._link.go_local()

    def follow(
        self, report: BreakerReport, state: SharedBreakerState, now: float, wall: float
    ) -> None:
        """Take the shared *state* that answered *report*, at monotonic *now* and *wall* time."""
        with self._lock:
            link = self._link
            assert link is not None
            moved = link.take_state(report, state, now)
            if state.epoch < report.epoch and self._status is not BreakerStatus.CLOSED:
                # The shared state went back in time (a store that lost its data): an
                # open breaker re-asserts itself rather than let the loss close it.
                link.proposal = BreakerStatus.OPEN
                return
            if moved or link.proposal is None:  # else a newer local transition waits to be sent
                self._take_status(state, moved, now - max(0.0, wall - state.opened_at))
            status = self._advance(now)
            if link.counts_live(now):  # the others' counts may cross the threshold now
                if status is BreakerStatus.CLOSED:
                    self._decide_window(now, link.window_view())
                elif status is BreakerStatus.HALF_OPEN:
                    self._decide_probe(now, link.probe_view())

    def _take_status(self, state: SharedBreakerState, moved: bool, opened_at: float) -> None:
        if state.status is BreakerStatus.CLOSED:
            if self._status is not BreakerStatus.CLOSED:
                self._set_closed()
            return
        if moved or self._status is BreakerStatus.CLOSED:
            if self._status is BreakerStatus.CLOSED:
                self._trips += 1
            self._status = BreakerStatus.OPEN
            self._window.clear()
            self._probe[:] = 0.0
        self._opened_at = opened_at

    def _live_link(self, now: float) -> BreakerLink | None:
        link = self._link
        return link if link is not None and link.counts_live(now) else None

    def _record(self, now: float, values: npt.NDArray[np.float64]) -> None:
        with self._lock:
            status = self._advance(now)
            if status is BreakerStatus.OPEN:
                return
            link = self._link
            if link is not None and not link.shares_counts:
                link = None
            if status is BreakerStatus.HALF_OPEN:
                self._probe += values
                if link is None:
                    self._decide_probe(now, self._probe)
                    return
                link.pending_probe += values
                live = now < link.live_until
                self._decide_probe(now, link.probe_view() if live else self._probe)
                return
            self._window.add(now, values)
            if link is None:
                self._decide_window(now, self._window.totals(now))
                return
            link.pending += values
            live = now < link.live_until
            self._decide_window(now, link.window_view() if live else self._window.totals(now))

    def _decide_window(self, now: float, counts: npt.NDArray[np.float64]) -> None:
        value, events = self._value(counts)
        if events >= self.spec.min_events and value > self.spec.trip_above:
            self._open(now)

    def _decide_probe(self, now: float, counts: npt.NDArray[np.float64]) -> None:
        value, events = self._value(counts)
        if events >= self._probe_events:
            if value > self.spec.trip_above:
                self._open(now)
            else:
                self._set_closed()
                if self._link is not None:
                    self._link.propose(BreakerStatus.CLOSED)

    def _set_closed(self) -> None:
        self._status = BreakerStatus.CLOSED
        self._window.clear()
        self._probe[:] = 0.0

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
        if self._link is not None:
            self._link.propose(BreakerStatus.OPEN)

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
