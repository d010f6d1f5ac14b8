"""Breaker state shared between guard replicas: the exchange protocol and an in-process default.

N replicas of a guard, each with its own :class:`~bastion.guard.CircuitBreaker`
objects, agree on each breaker's state through a :class:`BreakerSync`. A
replica never asks it anything on the request path: a background loop calls
:meth:`BreakerSync.exchange` every ~100 ms with one :class:`BreakerReport`
per breaker (the counts recorded since the previous exchange, and any
transition the replica decided) and gets back each breaker's
:class:`SharedBreakerState` (the status all replicas follow and the counts of
all replicas over the window).

Every transition starts a new *epoch*. A report's counts and its proposed
transition apply only if the report's epoch is the shared one, so two replicas
that trip at once open the breaker once, and counts recorded under an older
epoch (before a trip, or before a replica re-joined) never leak into a new
window. The shared status is ``closed`` or ``open``; ``half_open`` is not
stored: every replica derives it from ``opened_at`` and the breaker's cooldown.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bastion.core._errors import BastionError
from bastion.core._model import BreakerStatus


class SharedStateError(BastionError):
    """Shared breaker state could not be read or written (the replica stays on local state)."""


@dataclass(frozen=True, slots=True)
class BreakerReport:
    """What one replica tells the others about one breaker since its previous exchange.

    Attributes:
        key: Names the breaker across replicas; replicas whose bundles or
            breaker specs differ use different keys and never mix state.
        epoch: The shared epoch the replica's state belongs to (0 before it
            has seen any).
        window: Counts recorded while closed, one per counter (``(hits,
            total)`` for a rate); empty when there are none to share.
        probe: Counts recorded while half-open, in the same form.
        propose: A transition the replica decided from ``epoch``: ``open``
            (it tripped, or a half-open probe failed) or ``closed`` (a
            half-open probe passed, or an operator reset it); ``None`` if none.
        span: The window's length in seconds.
        buckets: How many buckets the window is cut into.
        width: How many counters the breaker has; 0 shares the status only.
    """

    key: str
    epoch: int
    window: tuple[float, ...] = ()
    probe: tuple[float, ...] = ()
    propose: BreakerStatus | None = None
    span: float = 60.0
    buckets: int = 20
    width: int = 2


@dataclass(frozen=True, slots=True)
class SharedBreakerState:
    """One breaker's state as all replicas see it.

    Attributes:
        key: The report's key.
        epoch: The current epoch; it grows by one at each transition.
        status: ``closed`` or ``open`` (replicas derive ``half_open``).
        opened_at: Wall-clock seconds when the breaker last opened (0.0 when
            it never did).
        trips: How many times it has opened, across replicas.
        window: Per counter, every replica's counts over the window of this
            epoch (zeros when open).
        probe: Per counter, every replica's half-open counts of this epoch.
    """

    key: str
    epoch: int
    status: BreakerStatus
    opened_at: float
    trips: int
    window: tuple[float, ...]
    probe: tuple[float, ...]


@runtime_checkable
class BreakerSync(Protocol):
    """Where guard replicas exchange breaker state."""

    def exchange(self, now: float, reports: Sequence[BreakerReport]) -> list[SharedBreakerState]:
        """Merge *reports* at wall-clock time *now*; return each breaker's shared state, in order.

        For each report whose epoch is the shared one: add its ``window``
        counts to the window bucket of *now* (if the breaker is closed) or its
        ``probe`` counts (if open), then apply its proposed transition, which
        moves to the next epoch (``open`` records *now* as ``opened_at``).
        Reports of any other epoch change nothing.

        Raises:
            SharedStateError: The shared state cannot be reached; the caller
                carries on with local state and tries again later.
        """
        ...


@dataclass
class _Entry:
    epoch: int = 0
    status: BreakerStatus = BreakerStatus.CLOSED
    opened_at: float = 0.0
    trips: int = 0
    window: dict[tuple[int, int], float] = field(default_factory=dict)  # (tick, counter) -> sum
    probe: dict[int, float] = field(default_factory=dict)


class MemoryBreakerSync:
    """Breaker state shared by the guards of one process; for tests and single-process services.

    Implements exactly the semantics of :meth:`BreakerSync.exchange`, which
    the Redis implementation runs as a script in the server.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def exchange(self, now: float, reports: Sequence[BreakerReport]) -> list[SharedBreakerState]:
        """Merge *reports* at *now*; see :meth:`BreakerSync.exchange`."""
        with self._lock:
            return [self._merge(now, report) for report in reports]

    def _merge(self, now: float, report: BreakerReport) -> SharedBreakerState:
        entry = self._entries.setdefault(report.key, _Entry())
        tick = math.floor(now * report.buckets / report.span)
        if report.epoch == entry.epoch:
            if entry.status is BreakerStatus.CLOSED:
                for counter, value in enumerate(report.window):
                    slot = (tick, counter)
                    entry.window[slot] = entry.window.get(slot, 0.0) + value
            else:
                for counter, value in enumerate(report.probe):
                    entry.probe[counter] = entry.probe.get(counter, 0.0) + value
            if report.propose is BreakerStatus.OPEN or (
                report.propose is BreakerStatus.CLOSED and entry.status is BreakerStatus.OPEN
            ):
                entry.epoch += 1
                entry.status = report.propose
                entry.window.clear()
                entry.probe.clear()
                if report.propose is BreakerStatus.OPEN:
                    entry.opened_at = now
                    entry.trips += 1
        first_live = tick - report.buckets + 1
        for slot in [s for s in entry.window if s[0] < first_live]:
            del entry.window[slot]
        window = [0.0] * report.width
        for (_, counter), value in entry.window.items():
            if counter < report.width:
                window[counter] += value
        probe = [entry.probe.get(counter, 0.0) for counter in range(report.width)]
        return SharedBreakerState(
            key=report.key,
            epoch=entry.epoch,
            status=entry.status,
            opened_at=entry.opened_at,
            trips=entry.trips,
            window=tuple(window),
            probe=tuple(probe),
        )
