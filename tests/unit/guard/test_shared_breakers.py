"""Guard replicas sharing breakers: they trip on combined events and recover together."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator, Sequence

import pytest
import redis

from bastion.core import (
    BreakerReport,
    BreakerStatus,
    BreakerSync,
    Candidate,
    GuardRequest,
    ManualClock,
    MemoryBreakerSync,
    SharedBreakerState,
    SystemClock,
)
from bastion.guard import Guard
from bastion.stores import MemorySignalStore, RedisBreakerSync
from tests.redis_server import RedisServer, free_port

from ._support import make_store, parse, request

OPEN, CLOSED, HALF_OPEN = BreakerStatus.OPEN, BreakerStatus.CLOSED, BreakerStatus.HALF_OPEN
_prefixes = itertools.count()

BREAKER = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
breakers:
  - id: surge
    watch: block_rate
    over: 60s
    trip_above: 0.25
    min_events: 200
    fallback: fail_open
    cooldown: 30s
"""


@pytest.fixture
def store() -> MemorySignalStore:
    """Items h0..h99 are hateful, c0..c99 clean."""
    items = {f"h{i}": {"hate": 0.95} for i in range(100)}
    items.update({f"c{i}": {"hate": 0.1} for i in range(100)})
    return make_store(items)


@pytest.fixture(params=["memory", "redis"])
def sync(request: pytest.FixtureRequest) -> Iterator[BreakerSync]:
    if request.param == "memory":
        yield MemoryBreakerSync()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis_sync = RedisBreakerSync(server.url, prefix=f"g{next(_prefixes)}", timeout=2.0)
    yield redis_sync
    redis_sync.close()


def slate(hateful: int, clean: int) -> GuardRequest:
    ids = [f"h{i}" for i in range(hateful)] + [f"c{i}" for i in range(clean)]
    candidates = [Candidate(item, 1.0 - i / 1000, i) for i, item in enumerate(ids)]
    return request(candidates, slate_size=10)


def replicas(
    count: int, store: MemorySignalStore, sync: BreakerSync, clock: ManualClock, body: str = BREAKER
) -> list[Guard]:
    bundle = parse(body, store)
    return [Guard(bundle, store, clock=clock, shared=sync, sync_every=None) for _ in range(count)]


def sync_all(guards: Sequence[Guard], rounds: int = 2) -> None:
    for _ in range(rounds):
        for guard in guards:
            assert guard.sync_breakers()


def status(guard: Guard) -> BreakerStatus:
    return guard.breaker_states()[0].status


def test_replicas_trip_together_when_only_their_combined_events_cross(
    store: MemorySignalStore, sync: BreakerSync, clock: ManualClock
) -> None:
    guards = replicas(3, store, sync, clock)
    sync_all(guards)
    alone = Guard(parse(BREAKER, store), store, clock=clock)
    for guard in [*guards, alone]:
        for _ in range(2):  # 100 events, half blocked: under min_events on any one replica
            guard.apply(slate(25, 25))
    assert [status(g) for g in [*guards, alone]] == [CLOSED] * 4
    sync_all(guards)
    assert [status(g) for g in guards] == [OPEN] * 3
    assert guards[0].breaker_states()[0].value == 0.0, "an open breaker starts a new window"
    results = [g.apply(slate(25, 25)) for g in guards]
    assert [r.fallback for r in results] == ["fail_open"] * 3
    assert status(alone) is CLOSED
    assert alone.apply(slate(25, 25)).fallback is None


def test_a_replica_follows_a_trip_it_saw_none_of(
    store: MemorySignalStore, sync: BreakerSync, clock: ManualClock
) -> None:
    busy, idle = replicas(2, store, sync, clock)
    sync_all([busy, idle])
    for _ in range(5):
        busy.apply(slate(40, 10))
    assert status(busy) is OPEN
    assert status(idle) is CLOSED
    sync_all([busy, idle], rounds=1)
    assert status(idle) is OPEN


def test_replicas_recover_together_after_the_cooldown(
    store: MemorySignalStore, sync: BreakerSync, clock: ManualClock
) -> None:
    a, b = replicas(2, store, sync, clock)
    sync_all([a, b])
    for guard in (a, b):
        for _ in range(3):
            guard.apply(slate(25, 25))
    sync_all([a, b])
    assert (status(a), status(b)) == (OPEN, OPEN)
    clock.advance(29.0)
    assert (status(a), status(b)) == (OPEN, OPEN)
    clock.advance(1.0)
    assert (status(a), status(b)) == (HALF_OPEN, HALF_OPEN)
    for guard in (a, b):  # 100 clean probes each: only together do they reach probe_events
        guard.apply(slate(0, 50))
        guard.apply(slate(0, 50))
    assert (status(a), status(b)) == (HALF_OPEN, HALF_OPEN)
    sync_all([a, b])
    assert (status(a), status(b)) == (CLOSED, CLOSED)
    assert a.apply(slate(1, 49)).fallback is None


def test_a_failed_shared_probe_reopens_every_replica(
    store: MemorySignalStore, sync: BreakerSync, clock: ManualClock
) -> None:
    a, b = replicas(2, store, sync, clock)
    sync_all([a, b])
    for _ in range(5):
        a.apply(slate(40, 10))
    sync_all([a, b])
    clock.advance(30.0)
    for guard in (a, b):
        for _ in range(2):
            guard.apply(slate(25, 25))
    sync_all([a, b])
    assert (status(a), status(b)) == (OPEN, OPEN)
    clock.advance(29.0)
    assert (status(a), status(b)) == (OPEN, OPEN), "the cooldown restarts at the new trip"


def test_an_operator_reset_on_one_replica_closes_all(
    store: MemorySignalStore, sync: BreakerSync, clock: ManualClock
) -> None:
    a, b = replicas(2, store, sync, clock)
    sync_all([a, b])
    for _ in range(5):
        a.apply(slate(40, 10))
    sync_all([a, b])
    a._active.breakers[0].reset()
    sync_all([a, b])
    assert (status(a), status(b)) == (CLOSED, CLOSED)


def test_reload_keeps_a_shared_breaker_and_a_changed_spec_starts_apart(
    store: MemorySignalStore, sync: BreakerSync, clock: ManualClock
) -> None:
    a, b = replicas(2, store, sync, clock)
    sync_all([a, b])
    for _ in range(5):
        a.apply(slate(40, 10))
    sync_all([a, b])
    a.reload(parse(BREAKER.replace("action: block", "action: demote\n    factor: 0.5"), store))
    assert status(a) is OPEN, "an unchanged breaker keeps its (shared) state across a reload"
    sync_all([a, b])
    assert status(a) is OPEN
    b.reload(parse(BREAKER.replace("cooldown: 30s", "cooldown: 20s"), store))
    sync_all([a, b])
    assert (status(a), status(b)) == (OPEN, CLOSED), "a changed spec shares a new state"


def test_drift_breakers_without_reference_scores_share_their_status_only(
    store: MemorySignalStore, sync: BreakerSync, clock: ManualClock
) -> None:
    body = """
breakers:
  - id: drift
    watch: score_psi
    over: 60s
    trip_above: 0.2
    min_events: 50
    warmup_events: 100
    fallback: fail_open
"""
    a, b = replicas(2, store, sync, clock, body)
    sync_all([a, b])
    for guard, low in ((a, 0.0), (b, 0.5)):  # different warm-ups: different bins
        guard.apply(request([Candidate(f"c{i}", low + i / 200, i) for i in range(100)]))
    sync_all([a, b])
    b.apply(request([Candidate(f"c{i}", 0.5 + i / 200, i) for i in range(100)]))  # as warmed up
    a.apply(request([Candidate(f"c{i}", 0.99, i) for i in range(100)]))  # all in a's top bin
    assert (status(a), status(b)) == (OPEN, CLOSED)
    assert b.breaker_states()[0].events == 100, "b's counts are its own"
    sync_all([a, b])
    assert status(b) is OPEN


class CountingSync(MemoryBreakerSync):
    """Counts exchanges (to show the request path never makes one)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def exchange(self, now: float, reports: Sequence[BreakerReport]) -> list[SharedBreakerState]:
        self.calls += 1
        return super().exchange(now, reports)


def test_the_request_path_never_exchanges(store: MemorySignalStore, clock: ManualClock) -> None:
    sync = CountingSync()
    (guard,) = replicas(1, store, sync, clock)
    for _ in range(50):
        guard.apply(slate(5, 45))
    guard.breaker_states()
    assert sync.calls == 0
    assert not guard.healthy(), "not ready before the first exchange"
    assert guard.sync_breakers()
    assert sync.calls == 1
    assert guard.healthy()


def test_an_unreachable_store_leaves_each_replica_on_local_state(
    store: MemorySignalStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    dead = RedisBreakerSync(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)
    (guard,) = replicas(1, store, dead, clock)
    with caplog.at_level(logging.WARNING, logger="bastion.guard._shared"):
        for _ in range(3):
            assert not guard.sync_breakers()
    assert [r.levelname for r in caplog.records] == ["WARNING"], "one warning per outage"
    assert "continue on local state" in caplog.records[0].getMessage()
    assert not guard.healthy()
    shared = guard._shared
    assert shared is not None and shared.failures == 3
    for _ in range(5):
        guard.apply(slate(40, 10))
    assert status(guard) is OPEN, "the local window still trips the breaker"


def test_replicas_rejoin_after_redis_restarts(
    store: MemorySignalStore, redis_server: RedisServer, clock: ManualClock
) -> None:
    sync = RedisBreakerSync(redis_server.url, prefix="rejoin", timeout=0.5)
    a, b = replicas(2, store, sync, clock)
    sync_all([a, b])
    redis_server.kill()
    assert not a.sync_breakers()
    assert not b.sync_breakers()
    assert not a.healthy()
    for _ in range(5):
        a.apply(slate(40, 10))  # trips a on its own window while cut off
    assert (status(a), status(b)) == (OPEN, CLOSED)
    redis_server.start()
    sync_all([a, b])
    assert (a.healthy(), b.healthy()) == (True, True)
    assert (status(a), status(b)) == (OPEN, OPEN), "a's trip, made while cut off, is shared"
    sync.close()


def test_an_open_breaker_survives_the_loss_of_the_shared_state(
    store: MemorySignalStore, redis_server: RedisServer, clock: ManualClock
) -> None:
    sync = RedisBreakerSync(redis_server.url, prefix="lost", timeout=0.5)
    a, b = replicas(2, store, sync, clock)
    sync_all([a, b])
    for _ in range(5):
        a.apply(slate(40, 10))
    sync_all([a, b])
    assert (status(a), status(b)) == (OPEN, OPEN)
    admin = redis.Redis.from_url(redis_server.url)
    admin.flushall()  # as a restart of a Redis without persistence would
    admin.close()
    sync_all([a, b])
    assert (status(a), status(b)) == (OPEN, OPEN)
    clock.advance(30.0)
    assert (status(a), status(b)) == (HALF_OPEN, HALF_OPEN), "one cooldown for both"
    sync.close()


def test_a_background_thread_keeps_replicas_in_step(store: MemorySignalStore) -> None:
    sync = MemoryBreakerSync()
    bundle = parse(BREAKER, store)
    clock = SystemClock()
    with (
        Guard(bundle, store, clock=clock, shared=sync, sync_every=0.01) as a,
        Guard(bundle, store, clock=clock, shared=sync, sync_every=0.01) as b,
    ):
        deadline = time.monotonic() + 5.0
        while not (a.healthy() and b.healthy()) and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(3):
            a.apply(slate(25, 25))
            b.apply(slate(25, 25))
        while OPEN not in (status(a), status(b)) and time.monotonic() < deadline:
            time.sleep(0.01)
        while CLOSED in (status(a), status(b)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (status(a), status(b)) == (OPEN, OPEN)
    assert a._shared is not None and a._shared._thread is None, "close() stopped the thread"


def test_a_guard_without_shared_state_has_nothing_to_sync(
    store: MemorySignalStore, clock: ManualClock
) -> None:
    guard = Guard(parse(BREAKER, store), store, clock=clock)
    assert guard.sync_breakers()
    assert guard.healthy()
    assert guard._active.breakers[0].link is None
    guard.close()


def test_sync_interval_must_be_positive(store: MemorySignalStore) -> None:
    with pytest.raises(ValueError, match="positive"):
        Guard(parse(BREAKER, store), store, shared=MemoryBreakerSync(), sync_every=0)
