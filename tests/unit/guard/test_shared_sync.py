"""The BreakerSync contract, for the in-process sync and the Redis one alike."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from bastion.core import (
    BreakerReport,
    BreakerStatus,
    BreakerSync,
    MemoryBreakerSync,
    SharedStateError,
)
from bastion.stores import RedisBreakerSync
from tests.redis_server import RedisServer, free_port

OPEN, CLOSED = BreakerStatus.OPEN, BreakerStatus.CLOSED
T0 = 1_700_000_000.0
_prefixes = itertools.count()


@pytest.fixture(params=["memory", "redis"])
def sync(request: pytest.FixtureRequest) -> Iterator[BreakerSync]:
    if request.param == "memory":
        yield MemoryBreakerSync()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis_sync = RedisBreakerSync(server.url, prefix=f"c{next(_prefixes)}", timeout=2.0)
    yield redis_sync
    redis_sync.close()


def report(epoch: int = 0, **fields: object) -> BreakerReport:
    values: dict[str, object] = {"key": "b", "epoch": epoch, "span": 10.0, "buckets": 10}
    values.update(fields)
    return BreakerReport(**values)  # type: ignore[arg-type]


Exchange = Callable[..., object]


def test_a_new_breaker_is_closed_at_epoch_0(sync: BreakerSync) -> None:
    (state,) = sync.exchange(T0, [report()])
    assert (state.key, state.epoch, state.status, state.trips) == ("b", 0, CLOSED, 0)
    assert state.window == (0.0, 0.0)
    assert state.probe == (0.0, 0.0)


def test_counts_of_all_replicas_add_up_over_the_window(sync: BreakerSync) -> None:
    sync.exchange(T0, [report(window=(3.0, 10.0))])
    (state,) = sync.exchange(T0 + 0.5, [report(window=(1.5, 5.0))])
    assert state.window == (4.5, 15.0)
    (state,) = sync.exchange(T0 + 9.5, [report()])
    assert state.window == (4.5, 15.0), "ten 1 s buckets: both counts are still in the window"
    (state,) = sync.exchange(T0 + 10.0, [report()])
    assert state.window == (0.0, 0.0), "both fell out of the window"


def test_keys_are_independent(sync: BreakerSync) -> None:
    a, b = sync.exchange(T0, [report(key="a", window=(1.0, 2.0)), report(key="b")])
    assert (a.window, b.window) == ((1.0, 2.0), (0.0, 0.0))


def test_a_proposed_trip_opens_once_for_everyone(sync: BreakerSync) -> None:
    sync.exchange(T0, [report(window=(5.0, 5.0))])
    (first,) = sync.exchange(T0 + 1, [report(propose=OPEN)])
    assert (first.epoch, first.status, first.opened_at, first.trips) == (1, OPEN, T0 + 1, 1)
    assert first.window == (0.0, 0.0), "a new epoch starts from an empty window"
    (second,) = sync.exchange(T0 + 2, [report(propose=OPEN, window=(9.0, 9.0))])
    assert (second.epoch, second.opened_at, second.trips) == (1, T0 + 1, 1), (
        "a proposal from an old epoch changes nothing"
    )


def test_half_open_probes_add_up_and_closing_starts_a_new_epoch(sync: BreakerSync) -> None:
    sync.exchange(T0, [report(propose=OPEN)])
    sync.exchange(T0 + 30, [report(1, probe=(0.0, 50.0), window=(7.0, 7.0))])
    (state,) = sync.exchange(T0 + 31, [report(1, probe=(1.0, 60.0))])
    assert state.probe == (1.0, 110.0)
    assert state.window == (0.0, 0.0), "window counts are not added while open"
    (closed,) = sync.exchange(T0 + 32, [report(1, propose=CLOSED)])
    assert (closed.epoch, closed.status, closed.trips) == (2, CLOSED, 1)
    assert closed.probe == (0.0, 0.0)
    (again,) = sync.exchange(T0 + 33, [report(1, propose=CLOSED)])
    assert again.epoch == 2


def test_a_failed_probe_reopens_with_a_new_opened_at(sync: BreakerSync) -> None:
    sync.exchange(T0, [report(propose=OPEN)])
    (state,) = sync.exchange(T0 + 40, [report(1, propose=OPEN)])
    assert (state.epoch, state.status, state.opened_at, state.trips) == (2, OPEN, T0 + 40, 2)


def test_closing_a_closed_breaker_is_a_no_op(sync: BreakerSync) -> None:
    (state,) = sync.exchange(T0, [report(propose=CLOSED, window=(1.0, 1.0))])
    assert (state.epoch, state.status, state.window) == (0, CLOSED, (1.0, 1.0))


def test_a_status_only_breaker_shares_no_counts(sync: BreakerSync) -> None:
    (state,) = sync.exchange(T0, [report(width=0, propose=OPEN)])
    assert (state.status, state.window, state.probe) == (OPEN, (), ())


def test_an_unreachable_redis_raises_shared_state_error() -> None:
    sync = RedisBreakerSync(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)
    with pytest.raises(SharedStateError, match="cannot exchange breaker state"):
        sync.exchange(T0, [report()])
    assert not sync.healthy()
    assert sync.exchange(T0, []) == []
