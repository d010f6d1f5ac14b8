"""CircuitBreaker states, windows, PSI drift and concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from bastion.core import BreakerStatus, Candidate, GuardRequest, ManualClock
from bastion.guard import CircuitBreaker
from bastion.policy import BreakerSpec

from ._support import cands, make_guard, make_store, request

T0 = 1_000.0


def rate_breaker(**overrides: Any) -> CircuitBreaker:
    spec: dict[str, Any] = {
        "id": "rate",
        "watch": "block_rate",
        "over": "60s",
        "trip_above": 0.5,
        "min_events": 10,
        "fallback": "fail_open",
        "cooldown": "30s",
    }
    spec.update(overrides)
    return CircuitBreaker(BreakerSpec.model_validate(spec))


# -- closed -> open --------------------------------------------------------------


def test_a_new_breaker_is_closed() -> None:
    breaker = rate_breaker()
    state = breaker.snapshot(T0)
    assert state.status is BreakerStatus.CLOSED
    assert (state.value, state.events) == (0.0, 0)
    assert state.breaker_id == "rate"
    assert state.fallback == "fail_open"
    assert breaker.trips == 0


def test_does_not_trip_before_min_events() -> None:
    breaker = rate_breaker()
    breaker.record(T0, 9, 9)
    state = breaker.snapshot(T0)
    assert state.status is BreakerStatus.CLOSED
    assert state.value == 1.0
    assert state.events == 9
    breaker.record(T0, 1, 1)
    assert breaker.status(T0) is BreakerStatus.OPEN
    assert breaker.trips == 1


def test_does_not_trip_at_the_threshold_only_above_it() -> None:
    breaker = rate_breaker()
    breaker.record(T0, 10, 20)
    assert breaker.snapshot(T0).value == 0.5
    assert breaker.status(T0) is BreakerStatus.CLOSED
    breaker.record(T0, 1, 1)
    assert breaker.status(T0) is BreakerStatus.OPEN


def test_a_low_rate_never_trips() -> None:
    breaker = rate_breaker()
    for step in range(50):
        breaker.record(T0 + step, 4, 10)
    assert breaker.status(T0 + 50) is BreakerStatus.CLOSED
    assert breaker.trips == 0


def test_an_open_breaker_records_nothing() -> None:
    breaker = rate_breaker()
    breaker.record(T0, 10, 10)
    assert breaker.status(T0) is BreakerStatus.OPEN
    breaker.record(T0 + 1, 100, 100)
    state = breaker.snapshot(T0 + 1)
    assert state.status is BreakerStatus.OPEN
    assert state.events == 0
    assert breaker.trips == 1


# -- open -> half_open -> closed / open ------------------------------------------


def test_open_turns_half_open_after_the_cooldown() -> None:
    breaker = rate_breaker()
    breaker.record(T0, 10, 10)
    assert breaker.status(T0 + 29.9) is BreakerStatus.OPEN
    assert breaker.status(T0 + 30) is BreakerStatus.HALF_OPEN
    assert breaker.snapshot(T0 + 30).events == 0


def test_half_open_closes_when_the_probe_is_healthy() -> None:
    breaker = rate_breaker(probe_events=5)
    breaker.record(T0, 10, 10)
    now = T0 + 30
    breaker.record(now, 1, 4)
    assert breaker.status(now) is BreakerStatus.HALF_OPEN
    state = breaker.snapshot(now)
    assert (state.value, state.events) == (0.25, 4)
    breaker.record(now, 0, 1)
    assert breaker.status(now) is BreakerStatus.CLOSED
    # closing starts a fresh window
    assert breaker.snapshot(now).events == 0
    assert breaker.trips == 1


def test_half_open_reopens_when_the_probe_is_still_bad() -> None:
    breaker = rate_breaker(probe_events=5)
    breaker.record(T0, 10, 10)
    now = T0 + 30
    breaker.record(now, 4, 5)
    assert breaker.status(now) is BreakerStatus.OPEN
    assert breaker.trips == 2
    # the cooldown restarts from the re-opening
    assert breaker.status(now + 29) is BreakerStatus.OPEN
    assert breaker.status(now + 30) is BreakerStatus.HALF_OPEN


def test_probe_events_default_to_min_events() -> None:
    breaker = rate_breaker(min_events=10)
    breaker.record(T0, 10, 10)
    now = T0 + 30
    breaker.record(now, 0, 9)
    assert breaker.status(now) is BreakerStatus.HALF_OPEN
    breaker.record(now, 0, 1)
    assert breaker.status(now) is BreakerStatus.CLOSED


def test_reset_closes_and_forgets() -> None:
    breaker = rate_breaker()
    breaker.record(T0, 10, 10)
    breaker.reset()
    state = breaker.snapshot(T0)
    assert state.status is BreakerStatus.CLOSED
    assert state.events == 0


# -- the window ------------------------------------------------------------------


def test_events_older_than_the_window_drop_out() -> None:
    breaker = rate_breaker(min_events=10)
    breaker.record(T0, 6, 6)
    assert breaker.snapshot(T0 + 20).events == 6
    # 60 s later the first events are gone: 6 + 6 would trip, 6 alone does not
    breaker.record(T0 + 60, 6, 6)
    state = breaker.snapshot(T0 + 60)
    assert state.status is BreakerStatus.CLOSED
    assert state.events == 6
    assert breaker.snapshot(T0 + 125).events == 0


def test_events_inside_the_window_add_up() -> None:
    breaker = rate_breaker(min_events=10)
    breaker.record(T0, 6, 6)
    breaker.record(T0 + 30, 6, 6)
    assert breaker.status(T0 + 30) is BreakerStatus.OPEN


# -- score_psi -------------------------------------------------------------------


REFERENCE = np.linspace(0.0, 1.0, 200).tolist()


def psi_breaker(**overrides: Any) -> CircuitBreaker:
    spec: dict[str, Any] = {
        "id": "drift",
        "watch": "score_psi",
        "over": "5m",
        "trip_above": 0.25,
        "min_events": 500,
        "fallback": "fail_open",
        "cooldown": "60s",
        "reference": REFERENCE,
    }
    spec.update(overrides)
    return CircuitBreaker(BreakerSpec.model_validate(spec))


def test_psi_same_distribution_stays_closed() -> None:
    breaker = psi_breaker()
    rng = np.random.default_rng(7)
    for step in range(10):
        breaker.record_scores(T0 + step, rng.uniform(0.0, 1.0, 100))
    state = breaker.snapshot(T0 + 10)
    assert state.status is BreakerStatus.CLOSED
    assert state.events == 1_000
    assert state.value < 0.05


def test_psi_shifted_distribution_trips() -> None:
    breaker = psi_breaker()
    rng = np.random.default_rng(7)
    for step in range(4):
        breaker.record_scores(T0 + step, rng.uniform(0.5, 1.5, 100))
    state = breaker.snapshot(T0 + 4)
    assert state.status is BreakerStatus.CLOSED  # 400 < min_events
    assert state.value > 0.25
    breaker.record_scores(T0 + 4, rng.uniform(0.5, 1.5, 100))
    assert breaker.status(T0 + 4) is BreakerStatus.OPEN


def test_psi_half_open_probe_closes_on_healthy_scores() -> None:
    breaker = psi_breaker(probe_events=200)
    rng = np.random.default_rng(3)
    breaker.record_scores(T0, rng.uniform(0.7, 1.0, 600))
    assert breaker.status(T0) is BreakerStatus.OPEN
    now = T0 + 60
    assert breaker.status(now) is BreakerStatus.HALF_OPEN
    breaker.record_scores(now, rng.uniform(0.0, 1.0, 400))
    assert breaker.status(now) is BreakerStatus.CLOSED


def test_psi_half_open_probe_reopens_on_drifted_scores() -> None:
    breaker = psi_breaker(probe_events=200)
    rng = np.random.default_rng(3)
    breaker.record_scores(T0, rng.uniform(0.7, 1.0, 600))
    now = T0 + 60
    breaker.record_scores(now, rng.uniform(0.7, 1.0, 400))
    assert breaker.status(now) is BreakerStatus.OPEN
    assert breaker.trips == 2


def test_psi_warm_up_reference_when_none_is_given() -> None:
    breaker = psi_breaker(reference=None, warmup_events=1_000, min_events=200)
    rng = np.random.default_rng(11)
    # warm-up: even wildly different batches are taken as the reference, not judged
    breaker.record_scores(T0, rng.normal(0.0, 1.0, 600))
    state = breaker.snapshot(T0)
    assert (state.status, state.events, state.value) == (BreakerStatus.CLOSED, 0, 0.0)
    breaker.record_scores(T0, rng.normal(0.0, 1.0, 400))
    assert breaker.snapshot(T0).events == 0  # reached warm-up; those scores are the reference
    breaker.record_scores(T0 + 1, rng.normal(0.0, 1.0, 500))
    state = breaker.snapshot(T0 + 1)
    assert state.status is BreakerStatus.CLOSED
    assert state.events == 500
    assert state.value < 0.1
    breaker.record_scores(T0 + 2, rng.normal(2.0, 1.0, 500))
    assert breaker.status(T0 + 2) is BreakerStatus.OPEN


def test_psi_warm_up_from_the_same_distribution_stays_closed() -> None:
    breaker = psi_breaker(reference=None, warmup_events=500, min_events=100)
    rng = np.random.default_rng(5)
    for step in range(20):
        breaker.record_scores(T0 + step, rng.uniform(-1.0, 1.0, 100))
    assert breaker.status(T0 + 20) is BreakerStatus.CLOSED
    assert breaker.trips == 0


def test_psi_breaker_spec_needs_enough_reference_scores() -> None:
    with pytest.raises(ValidationError, match="reference"):
        psi_breaker(reference=[0.1, 0.2, 0.3])


def test_reference_only_for_score_psi() -> None:
    with pytest.raises(ValidationError, match="reference"):
        rate_breaker(reference=REFERENCE)


def test_rate_threshold_must_be_a_rate() -> None:
    with pytest.raises(ValidationError, match="trip_above"):
        rate_breaker(trip_above=1.5)


# -- concurrency -----------------------------------------------------------------


def test_concurrent_records_at_a_fixed_time_add_up_exactly() -> None:
    breaker = rate_breaker(trip_above=1.0, min_events=1)
    rng = np.random.default_rng(0)
    batches = [
        [(float(h), float(h + m)) for h, m in rng.integers(0, 20, size=(500, 2))] for _ in range(8)
    ]

    def work(batch: list[tuple[float, float]]) -> None:
        for hits, total in batch:
            breaker.record(T0, hits, total)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, batches))
    hits = sum(h for batch in batches for h, _ in batch)
    total = sum(t for batch in batches for _, t in batch)
    state = breaker.snapshot(T0)
    assert state.status is BreakerStatus.CLOSED
    assert state.events == int(total)
    assert state.value == pytest.approx(hits / total)


def test_concurrent_records_trip_exactly_once() -> None:
    breaker = rate_breaker(min_events=1_000, trip_above=0.5)

    def work(_: int) -> None:
        for _ in range(500):
            breaker.record(T0, 1, 1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    state = breaker.snapshot(T0)
    assert state.status is BreakerStatus.OPEN
    assert breaker.trips == 1
    # opening cleared the window, and nothing is recorded while open
    assert state.events == 0


def test_concurrent_scores_add_up() -> None:
    breaker = psi_breaker(trip_above=100.0, min_events=1)
    rng = np.random.default_rng(1)
    batches = [rng.uniform(0.0, 1.0, 1_000) for _ in range(8)]

    def work(scores: np.ndarray) -> None:
        for chunk in np.array_split(scores, 10):
            breaker.record_scores(T0, chunk)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, batches))
    state = breaker.snapshot(T0)
    assert state.events == 8_000
    assert state.status is BreakerStatus.CLOSED


# -- through the Guard -----------------------------------------------------------

GUARDED = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
breakers:
  - id: blocks
    watch: block_rate
    over: 60s
    trip_above: 0.9
    min_events: 1000
    fallback: fail_open
  - id: missing
    watch: missing_signal_rate
    over: 60s
    trip_above: 0.9
    min_events: 1000
    fallback: fail_closed
"""


def test_guard_feeds_block_and_missing_rates() -> None:
    clock = ManualClock()
    store = make_store({"bad": {"hate": 0.95}, "ok": {"hate": 0.0}})
    guard = make_guard(GUARDED, store, clock=clock)
    result = guard.apply(request(cands(("bad", 0.9), ("ok", 0.8), ("m1", 0.7), ("m2", 0.6))))
    blocks, missing = result.breakers
    assert (blocks.breaker_id, blocks.events, blocks.value) == ("blocks", 4, 0.25)
    assert (missing.breaker_id, missing.events, missing.value) == ("missing", 4, 0.5)
    assert blocks.fallback == "fail_open"
    clock.advance(30)
    guard.apply(request(cands(("bad", 0.9), ("m1", 0.7))))
    blocks, missing = guard.breaker_states()
    assert blocks.events == missing.events == 6
    assert blocks.value == pytest.approx(2 / 6)
    assert missing.value == pytest.approx(3 / 6)
    clock.advance(45)  # the first request is now older than the window
    blocks, missing = guard.breaker_states()
    assert (blocks.events, missing.events) == (2, 2)


def test_guard_feeds_score_psi_after_warm_up() -> None:
    body = """
breakers:
  - id: drift
    watch: score_psi
    over: 5m
    trip_above: 0.25
    min_events: 100
    warmup_events: 200
    fallback: fail_open
    cooldown: 60s
"""
    clock = ManualClock()
    guard = make_guard(body, make_store(), clock=clock)

    def scores(low: float, high: float) -> GuardRequest:
        values = np.linspace(high, low, 50)
        return request([Candidate(f"i{k}", float(v), k) for k, v in enumerate(values)])

    for _ in range(4):
        assert guard.apply(scores(0.0, 1.0)).fallback is None
    assert guard.breaker_states()[0].events == 0  # all four were the warm-up
    for _ in range(2):
        guard.apply(scores(0.0, 1.0))
    state = guard.breaker_states()[0]
    assert (state.status, state.events) == (BreakerStatus.CLOSED, 100)
    assert state.value < 0.05
    guard.apply(scores(0.9, 1.0))
    guard.apply(scores(0.9, 1.0))
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN
    assert guard.apply(scores(0.0, 1.0)).fallback == "fail_open"
    clock.advance(60)
    assert guard.apply(scores(0.0, 1.0)).fallback is None
    guard.apply(scores(0.0, 1.0))
    assert guard.breaker_states()[0].status is BreakerStatus.CLOSED
