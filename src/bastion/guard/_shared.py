"""Breakers shared by guard replicas: each trips and recovers with the others.

A guard built with ``shared=`` (a :class:`~bastion.core.BreakerSync`, such as
:class:`bastion.stores.RedisBreakerSync`) runs a :class:`SharedBreakers` loop
beside its request path. Every ``every`` seconds (100 ms by default) the loop
sends, in one call, each breaker's counts since the previous exchange and any
transition it decided, and takes back the state all replicas share.

On the request path nothing waits on the network: a breaker decides on the
shared counts of the last exchange plus its own counts since (a
:class:`BreakerLink` keeps them), so replicas whose combined events cross a
threshold all see it within one interval; the first to trip proposes the
transition, and the others follow at their next exchange. Cooldown, half-open
probes (counted across replicas) and closing are shared the same way.

Failure semantics: when an exchange fails (the store is unreachable or slow),
the loop logs it, counts it, and every breaker carries on with its local
window, which it keeps all along; :meth:`SharedBreakers.healthy` turns False
(for a readiness probe). Counts not yet sent are dropped, a transition decided
while cut off is proposed again on re-joining (it applies only if no other
replica moved the breaker meanwhile), and at the first exchange that succeeds
every breaker takes the shared state again. If the shared state itself was
lost (a store without persistence restarted empty), an open breaker opens it
again rather than close with it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bastion.core import (
    BreakerReport,
    BreakerStatus,
    BreakerSync,
    Clock,
    SharedBreakerState,
)
from bastion.policy import BreakerSpec

if TYPE_CHECKING:
    from bastion.guard._breakers import CircuitBreaker

logger = logging.getLogger(__name__)

Counts = npt.NDArray[np.float64]
_NEVER = float("-inf")


def breaker_key(namespace: str, spec: BreakerSpec) -> str:
    """The key replicas share one breaker under: bundle name, breaker id and a hash of its spec."""
    digest = hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:16]
    return f"{namespace}:{spec.id}:{digest}"


class BreakerLink:
    """One breaker's side of the exchange: its epoch, unsent counts and the shared counts.

    Not thread-safe on its own: the breaker that owns it calls it under its lock.

    Args:
        key: See :func:`breaker_key`.
        spec: The breaker's spec (window span and counters).
        width: How many counters the breaker has.
        buckets: How many buckets its window has.
        stale_after: Seconds (on the guard's monotonic clock) after an
            exchange during which its counts are trusted.
    """

    def __init__(
        self, key: str, spec: BreakerSpec, width: int, buckets: int, stale_after: float
    ) -> None:
        self.key = key
        self.spec = spec
        self.buckets = buckets
        # A drift breaker learns its bins from its own warm-up unless the bundle
        # gives reference scores; bins differ between replicas, so only its
        # status is shared then.
        self.shares_counts = spec.watch != "score_psi" or spec.reference is not None
        self.width = width if self.shares_counts else 0
        self.stale_after = stale_after
        self.epoch = 0
        self.live_until = _NEVER
        self.proposal: BreakerStatus | None = None
        self.sent: BreakerStatus | None = None
        zeros = np.zeros(width)
        self.pending, self.inflight, self.shared = zeros.copy(), zeros.copy(), zeros.copy()
        self.pending_probe, self.inflight_probe = zeros.copy(), zeros.copy()
        self.shared_probe = zeros.copy()

    def counts_live(self, now: float) -> bool:
        """Whether decisions at *now* read the shared counts (else the breaker's local ones)."""
        return self.shares_counts and now < self.live_until

    def window_view(self) -> Counts:
        """Every replica's window counts: shared at the last exchange, plus this one's since."""
        return self.shared + self.inflight + self.pending

    def probe_view(self) -> Counts:
        """Every replica's half-open counts, likewise."""
        return self.shared_probe + self.inflight_probe + self.pending_probe

    def propose(self, status: BreakerStatus) -> None:
        """This replica moved the breaker to *status*: send it, and start from empty counts."""
        self.proposal = status
        for counts in (self.shared, self.pending, self.shared_probe, self.pending_probe):
            counts[:] = 0.0

    def take_report(self) -> BreakerReport:
        """The report for the next exchange; its counts move from pending to in flight."""
        window: tuple[float, ...] = ()
        probe: tuple[float, ...] = ()
        if self.shares_counts and np.any(self.pending):
            window = tuple(self.pending.tolist())
        if self.shares_counts and np.any(self.pending_probe):
            probe = tuple(self.pending_probe.tolist())
        self.inflight += self.pending
        self.inflight_probe += self.pending_probe
        self.pending[:] = 0.0
        self.pending_probe[:] = 0.0
        self.sent, self.proposal = self.proposal, None
        return BreakerReport(
            key=self.key,
            epoch=self.epoch,
            window=window,
            probe=probe,
            propose=self.sent,
            span=self.spec.over,
            buckets=self.buckets,
            width=self.width,
        )

    def take_state(self, report: BreakerReport, state: SharedBreakerState, now: float) -> bool:
        """Take the shared counts and epoch; return whether the epoch moved since *report*."""
        self.inflight[:] = 0.0
        self.inflight_probe[:] = 0.0
        if self.width and len(state.window) == self.width == len(state.probe):
            self.shared = np.array(state.window, dtype=np.float64)
            self.shared_probe = np.array(state.probe, dtype=np.float64)
        self.live_until = now + self.stale_after
        self.sent = None
        moved = state.epoch != report.epoch
        self.epoch = state.epoch
        if moved:  # counts and a later proposal belonged to the old epoch
            self.pending[:] = 0.0
            self.pending_probe[:] = 0.0
            self.proposal = None
        return moved

    def go_local(self) -> None:
        """After a failed exchange: forget unsent counts, keep any transition to propose again.

        Counts keep accumulating while cut off, and are forgotten at each
        failed exchange, so a re-joining replica sends only those since its
        last attempt (one interval), not a whole outage's worth.
        """
        self.live_until = _NEVER
        for counts in (self.pending, self.inflight, self.pending_probe, self.inflight_probe):
            counts[:] = 0.0
        if self.proposal is None:
            self.proposal = self.sent
        self.sent = None


class SharedBreakers:
    """Keeps one guard's breakers in step with other replicas through a :class:`BreakerSync`.

    Args:
        sync: Where the replicas meet.
        breakers: Returns the guard's current ``(bundle name, breaker)`` pairs
            (read at each exchange, so a reload's new breakers join).
        clock: The guard's clock: monotonic time for breakers, wall time for
            the shared state.
        every: Seconds between exchanges on a background thread; ``None``
            runs no thread (call :meth:`exchange` yourself).
    """

    def __init__(
        self,
        sync: BreakerSync,
        breakers: Callable[[], Sequence[tuple[str, CircuitBreaker]]],
        clock: Clock,
        *,
        every: float | None = 0.1,
    ) -> None:
        if every is not None and every <= 0:
            raise ValueError(f"sync interval must be positive, got {every!r}")
        self.sync = sync
        self.every = every
        # Shared counts older than this are not trusted: five missed exchanges.
        self.stale_after = float("inf") if every is None else max(5 * every, 0.5)
        self.failures = 0
        self.last_error: str | None = None
        self._breakers = breakers
        self._clock = clock
        self._lock = threading.Lock()
        self._ok_until = _NEVER
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, namespace: str, breaker: CircuitBreaker) -> None:
        """Link *breaker* (of the bundle called *namespace*) for sharing, if it is not yet."""
        if breaker.link is None:
            key = breaker_key(namespace, breaker.spec)
            breaker.attach(
                BreakerLink(key, breaker.spec, breaker.width, breaker.buckets, self.stale_after)
            )

    def healthy(self) -> bool:
        """Whether the last exchange succeeded, recently enough to trust (readiness)."""
        return not self._failing and self._clock.monotonic() < self._ok_until

    def exchange(self) -> bool:
        """Exchange state once for every breaker; return whether it succeeded.

        A breaker that trips or closes on what it just learnt sends the
        transition at once, in a second exchange, rather than an interval later.
        """
        with self._lock:
            pairs = self._breakers()
            for namespace, breaker in pairs:
                self.attach(namespace, breaker)
            breakers = [breaker for _, breaker in pairs]
            if not self._exchange(breakers):
                return False
            if any(breaker.link is not None and breaker.link.proposal for breaker in breakers):
                return self._exchange(breakers)
            return True

    def _exchange(self, breakers: Sequence[CircuitBreaker]) -> bool:
        reports = [breaker.report() for breaker in breakers]
        try:
            states = self.sync.exchange(self._clock.wall(), reports) if reports else []
            if len(states) != len(reports):
                raise ValueError(f"{len(states)} states for {len(reports)} reports")
        except Exception as error:  # any failure of the store: log, count, go local
            self._failed(error, breakers)
            return False
        if self._failing:
            logger.info("shared breaker state reachable again; %d breakers re-join", len(reports))
        self._failing = False
        now, wall = self._clock.monotonic(), self._clock.wall()
        self._ok_until = now + self.stale_after
        for breaker, report, state in zip(breakers, reports, states, strict=True):
            breaker.follow(report, state, now, wall)
        return True

    def _failed(self, error: Exception, breakers: Sequence[CircuitBreaker]) -> None:
        self.failures += 1
        self.last_error = f"{type(error).__name__}: {error}"
        if self._failing:
            logger.debug("breaker exchange failed again: %s", self.last_error)
        else:
            logger.warning(
                "shared breaker state unreachable (%s); %d breakers continue on local state",
                self.last_error,
                len(breakers),
            )
        self._failing = True
        for breaker in breakers:
            breaker.go_local()

    def start(self) -> None:
        """Start the background exchanges (no-op without an interval or when running)."""
        if self.every is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="bastion-breaker-sync", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the background exchanges and wait for the thread to end."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        assert self.every is not None
        while not self._stop.is_set():
            try:
                self.exchange()
            except Exception:  # a bug must not end the loop: breakers would go stale silently
                logger.exception("breaker exchange raised")
            self._stop.wait(self.every)
