"""Fallbacks through the Guard: safe pool, fail closed/open, stricter bundle, latency budget."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from bastion.core import (
    Action,
    BreakerStatus,
    Candidate,
    Entity,
    GuardRequest,
    ManualClock,
    PolicyError,
    SignalBatch,
    SignalSchema,
    UserContext,
)
from bastion.guard import Guard
from bastion.stores import MemorySignalStore

from ._support import bundle_text, cands, load_guard, make_guard, make_store, request

# -- safe_pool -------------------------------------------------------------------

SAFE_POOL = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
breakers:
  - id: surge
    watch: block_rate
    over: 60s
    trip_above: 0.5
    min_events: 4
    fallback: safe_pool
    cooldown: 30s
safe_pool: [p1, p2, p3, p4]
"""


def _pool_store() -> MemorySignalStore:
    items = {f"bad{i}": {"hate": 0.99} for i in range(4)}
    items.update({name: {"hate": 0.0} for name in ("x", "y", "p1", "p2", "p3", "p4")})
    return make_store(items)


def _trip_surge(guard: Guard) -> None:
    result = guard.apply(request(cands(*((f"bad{i}", 0.9 - i / 10) for i in range(4)))))
    assert result.fallback is None
    assert result.slate == ()
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN


def test_block_surge_switches_to_the_safe_pool(clock: ManualClock) -> None:
    guard = make_guard(SAFE_POOL, _pool_store(), clock=clock)
    _trip_surge(guard)
    candidates = cands(("x", 0.9), ("p3", 0.8), ("y", 0.7), ("p1", 0.6))
    result = guard.apply(request(candidates, slate_size=3))
    assert result.fallback == "safe_pool"
    assert result.slate == ("p3", "p1", "p2")
    by_item = result.decisions.by_item()
    for item in ("x", "y"):
        assert by_item[item].action is Action.BLOCK
        assert "breaker:surge" in by_item[item].rules
        assert by_item[item].out_rank is None
    assert by_item["p3"].action is Action.ALLOW
    assert (by_item["p3"].out_rank, by_item["p1"].out_rank) == (0, 1)
    assert result.policy_version == guard.policy_version
    assert [s.status for s in result.breakers] == [BreakerStatus.OPEN]


def test_safe_pool_candidates_follow_the_ranker_rank(clock: ManualClock) -> None:
    guard = make_guard(SAFE_POOL, _pool_store(), clock=clock)
    _trip_surge(guard)
    candidates = [Candidate("p2", 0.9, 3), Candidate("x", 0.8, 0), Candidate("p4", 0.7, 1)]
    result = guard.apply(request(candidates, slate_size=2))
    assert result.slate == ("p4", "p2")


def test_safe_pool_fills_from_the_pool_when_no_candidate_is_in_it(clock: ManualClock) -> None:
    guard = make_guard(SAFE_POOL, _pool_store(), clock=clock)
    _trip_surge(guard)
    result = guard.apply(request(cands(("x", 0.9), ("y", 0.8)), slate_size=10))
    assert result.slate == ("p1", "p2", "p3", "p4")
    assert result.decisions.counts()[Action.BLOCK] == 2


def test_guard_returns_to_normal_after_cooldown_and_a_healthy_probe(clock: ManualClock) -> None:
    guard = make_guard(SAFE_POOL, _pool_store(), clock=clock)
    _trip_surge(guard)
    clock.advance(29)
    assert guard.apply(request(cands(("x", 0.9)))).fallback == "safe_pool"
    clock.advance(1)
    assert guard.breaker_states()[0].status is BreakerStatus.HALF_OPEN
    healthy = cands(("x", 0.9), ("y", 0.8), ("p1", 0.7), ("bad0", 0.6))
    result = guard.apply(request(healthy))
    # half-open requests are decided normally, as probes
    assert result.fallback is None
    assert result.slate == ("x", "y", "p1")
    assert guard.breaker_states()[0].status is BreakerStatus.CLOSED
    result = guard.apply(request(healthy))
    assert result.fallback is None
    assert result.decisions.by_item()["bad0"].rules == ("hate",)


def test_an_unhealthy_probe_reopens(clock: ManualClock) -> None:
    guard = make_guard(SAFE_POOL, _pool_store(), clock=clock)
    _trip_surge(guard)
    clock.advance(30)
    result = guard.apply(request(cands(*((f"bad{i}", 0.9 - i / 10) for i in range(4)))))
    assert result.fallback is None
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN
    assert guard.apply(request(cands(("x", 0.9)))).fallback == "safe_pool"


# -- fail_closed -----------------------------------------------------------------

OUTAGE = """
signals:
  item.nsfw: {default: 0.0}
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
  - id: nsfw
    when: item.nsfw >= 0.5
    action: demote
    factor: 0.5
breakers:
  - id: outage
    watch: missing_signal_rate
    over: 10s
    trip_above: 0.5
    min_events: 5
    fallback: fail_closed
    cooldown: 30s
"""


def _outage_store() -> MemorySignalStore:
    # "ok", "bad" and "racy" have every signal; the m* items have none.
    return make_store(
        {
            "ok": {"hate": 0.1, "nsfw": 0.0},
            "bad": {"hate": 0.95, "nsfw": 0.0},
            "racy": {"hate": 0.0, "nsfw": 0.9},
            "partial": {"hate": 0.0},
        }
    )


def _outage_request() -> list[Candidate]:
    return cands(
        ("m0", 1.0),
        ("ok", 0.9),
        ("m1", 0.85),
        ("bad", 0.8),
        ("racy", 0.7),
        ("m2", 0.6),
        ("m3", 0.5),
    )


def test_missing_signal_breaker_fails_closed(clock: ManualClock) -> None:
    guard = make_guard(OUTAGE, _outage_store(), clock=clock)
    first = guard.apply(request(_outage_request()))
    assert first.fallback is None
    assert first.slate == ("m0", "ok", "m1", "m2", "m3", "racy")
    state = guard.breaker_states()[0]
    assert state.status is BreakerStatus.OPEN
    result = guard.apply(request(_outage_request()))
    assert result.fallback == "fail_closed"
    by_item = result.decisions.by_item()
    for item in ("m0", "m1", "m2", "m3"):
        assert by_item[item].action is Action.BLOCK
        assert by_item[item].rules == ("breaker:outage",)
    assert by_item["bad"].action is Action.BLOCK
    assert by_item["bad"].rules == ("hate",)
    assert by_item["ok"].action is Action.ALLOW
    assert by_item["ok"].rules == ()
    assert by_item["racy"].action is Action.DEMOTE
    assert by_item["racy"].rules == ("nsfw",)
    assert result.slate == ("ok", "racy")


def test_fail_closed_blocks_an_item_missing_one_signal_even_with_a_default(
    clock: ManualClock,
) -> None:
    guard = make_guard(OUTAGE, _outage_store(), clock=clock)
    guard.apply(request(_outage_request()))
    result = guard.apply(request(cands(("partial", 0.9), ("ok", 0.8))))
    assert result.decisions[0].action is Action.BLOCK
    assert result.decisions[0].rules == ("breaker:outage",)
    assert result.slate == ("ok",)


def test_fail_closed_ends_after_cooldown_and_a_healthy_probe(clock: ManualClock) -> None:
    guard = make_guard(OUTAGE, _outage_store(), clock=clock)
    guard.apply(request(_outage_request()))
    clock.advance(30)
    healthy = cands(("ok", 0.9), ("racy", 0.8), ("bad", 0.7), ("partial", 0.6), ("m0", 0.5))
    probe = guard.apply(request(healthy))  # 2 of 5 missing: 0.4, under 0.5
    assert probe.fallback is None
    assert guard.breaker_states()[0].status is BreakerStatus.CLOSED
    result = guard.apply(request(healthy))
    assert result.fallback is None
    assert result.decisions.by_item()["m0"].action is Action.ALLOW
    assert result.slate == ("ok", "partial", "m0", "racy")


# -- fail_open -------------------------------------------------------------------

FAIL_OPEN = SAFE_POOL.replace("fallback: safe_pool", "fallback: fail_open").replace(
    "safe_pool: [p1, p2, p3, p4]\n", ""
)


def test_fail_open_serves_the_ranker_order(clock: ManualClock) -> None:
    guard = make_guard(FAIL_OPEN, _pool_store(), clock=clock)
    _trip_surge(guard)
    candidates = cands(("bad0", 0.9), ("x", 0.8), ("bad1", 0.7), ("y", 0.6), ("p1", 0.5))
    result = guard.apply(request(candidates, slate_size=4))
    assert result.fallback == "fail_open"
    assert result.slate == ("bad0", "x", "bad1", "y")
    assert result.decisions.counts()[Action.ALLOW] == 5
    assert result.decisions[0].rules == ("breaker:surge",)
    assert result.decisions[4].out_rank is None
    assert [d.out_rank for d in result.decisions[:4]] == [0, 1, 2, 3]


def test_fail_open_uses_ranker_rank_for_ties(clock: ManualClock) -> None:
    guard = make_guard(FAIL_OPEN, _pool_store(), clock=clock)
    _trip_surge(guard)
    candidates = [Candidate("x", 0.5, 2), Candidate("y", 0.5, 0), Candidate("p1", 0.5, 1)]
    assert guard.apply(request(candidates, slate_size=3)).slate == ("y", "p1", "x")


# -- several breakers open at once ------------------------------------------------

TWO_BREAKERS = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
breakers:
  - id: loose
    watch: block_rate
    over: 60s
    trip_above: 0.4
    min_events: 2
    fallback: {first}
  - id: tight
    watch: missing_signal_rate
    over: 60s
    trip_above: 0.4
    min_events: 2
    fallback: {second}
safe_pool: [x]
"""


@pytest.mark.parametrize(
    ("first", "second", "fallback"),
    [
        ("fail_open", "fail_closed", "fail_closed"),
        ("safe_pool", "fail_closed", "safe_pool"),
        ("fail_open", "safe_pool", "safe_pool"),
    ],
)
def test_the_strictest_open_fallback_wins(
    clock: ManualClock, first: str, second: str, fallback: str
) -> None:
    store = make_store({"bad0": {"hate": 0.99}, "bad1": {"hate": 0.99}, "x": {"hate": 0.0}})
    guard = make_guard(TWO_BREAKERS.format(first=first, second=second), store, clock=clock)
    guard.apply(request(cands(("bad0", 0.9), ("bad1", 0.8), ("m0", 0.7), ("m1", 0.6))))
    assert [s.status for s in guard.breaker_states()] == [BreakerStatus.OPEN] * 2
    result = guard.apply(request(cands(("bad0", 0.9), ("m0", 0.8), ("x", 0.7))))
    assert result.fallback == fallback
    assert "bad0" not in result.slate
    assert "m0" not in result.slate
    assert result.slate == ("x",)


# -- strict_bundle ---------------------------------------------------------------

REFERENCE = ", ".join(f"{v:.4f}" for v in np.linspace(0.0, 1.0, 40))
MAIN = f"""
rules:
  - id: nsfw
    when: item.nsfw >= 0.8
    action: block
breakers:
  - id: drift
    watch: score_psi
    over: 5m
    trip_above: 0.25
    min_events: 50
    fallback: strict_bundle
    bundle: strict.yaml
    cooldown: 2m
    reference: [{REFERENCE}]
"""
STRICT = """
rules:
  - id: strict-nsfw
    when: item.nsfw >= 0.1
    action: block
  - id: strict-young
    when: user.age_band = '13-17'
    action: label
    label: teen
"""


def _drift_guard(tmp_path: Path, clock: ManualClock) -> Guard:
    (tmp_path / "strict.yaml").write_text(bundle_text(STRICT, "strict-one"), encoding="utf-8")
    (tmp_path / "main.yaml").write_text(bundle_text(MAIN, "main-one"), encoding="utf-8")
    items = {f"i{k}": {"nsfw": 0.5 if k % 5 == 0 else 0.0} for k in range(50)}
    return load_guard(tmp_path / "main.yaml", make_store(items), clock)


def _slate_request(low: float, high: float) -> GuardRequest:
    scores = np.linspace(high, low, 50)
    return request(
        [Candidate(f"i{k}", float(s), k) for k, s in enumerate(scores)],
        slate_size=50,
        user=UserContext("u", age_band="13-17"),
    )


def test_score_drift_switches_to_the_strict_bundle(tmp_path: Path, clock: ManualClock) -> None:
    guard = _drift_guard(tmp_path, clock)
    strict = guard.bundle.strict["drift"]
    healthy = guard.apply(_slate_request(0.0, 1.0))
    assert healthy.fallback is None
    assert len(healthy.slate) == 50
    assert guard.breaker_states()[0].status is BreakerStatus.CLOSED
    drifted = guard.apply(_slate_request(0.96, 1.0))
    assert drifted.fallback is None
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN

    result = guard.apply(_slate_request(0.0, 1.0))
    assert result.fallback is not None
    assert result.fallback.startswith("strict_bundle:")
    assert result.fallback == f"strict_bundle:{strict.name}"
    by_item = result.decisions.by_item()
    assert by_item["i0"].action is Action.BLOCK
    assert by_item["i0"].rules == ("strict-nsfw", "strict-young")
    assert by_item["i1"].action is Action.LABEL
    assert by_item["i1"].labels == ("teen",)
    assert len(result.slate) == 40
    assert "i0" not in result.slate


def test_strict_bundle_ends_after_cooldown_and_a_healthy_probe(
    tmp_path: Path, clock: ManualClock
) -> None:
    guard = _drift_guard(tmp_path, clock)
    guard.apply(_slate_request(0.96, 1.0))
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN
    clock.advance(119)
    assert guard.apply(_slate_request(0.0, 1.0)).fallback is not None
    clock.advance(1)
    probe = guard.apply(_slate_request(0.0, 1.0))
    assert probe.fallback is None
    assert guard.breaker_states()[0].status is BreakerStatus.CLOSED
    result = guard.apply(_slate_request(0.0, 1.0))
    assert result.fallback is None
    assert result.policy_version == guard.policy_version
    by_item = result.decisions.by_item()
    assert by_item["i0"].action is Action.ALLOW
    assert by_item["i0"].labels == ()
    assert len(result.slate) == 50


def test_strict_bundle_and_fail_closed_combine(tmp_path: Path, clock: ManualClock) -> None:
    body = MAIN + (
        "  - id: outage\n    watch: missing_signal_rate\n    over: 60s\n    trip_above: 0.5\n"
        "    min_events: 2\n    fallback: fail_closed\n"
    )
    (tmp_path / "strict.yaml").write_text(bundle_text(STRICT, "strict-one"), encoding="utf-8")
    (tmp_path / "main.yaml").write_text(bundle_text(body, "main-two"), encoding="utf-8")
    store = make_store({f"i{k}": {"nsfw": 0.0} for k in range(10)})
    guard = load_guard(tmp_path / "main.yaml", store, clock)
    scores = np.linspace(1.0, 0.99, 50)
    candidates = [Candidate(f"m{k}", float(s), k) for k, s in enumerate(scores)]
    guard.apply(request(candidates))  # every signal missing, scores drifted: both trip
    assert [s.status for s in guard.breaker_states()] == [BreakerStatus.OPEN] * 2
    result = guard.apply(request(cands(("i1", 0.9), ("m1", 0.8))))
    assert result.fallback == "strict_bundle:strict-one+fail_closed"
    assert result.slate == ("i1",)
    assert result.decisions[1].rules == ("breaker:outage",)


# -- latency budget --------------------------------------------------------------


class SlowStore:
    """A signal store whose lookups take *delay* seconds."""

    def __init__(self, inner: MemorySignalStore, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.lookups = 0

    @property
    def schema(self) -> SignalSchema:
        return self.inner.schema

    def lookup(self, entity: Entity, ids: Sequence[str], keys: Sequence[str]) -> SignalBatch:
        self.lookups += 1
        time.sleep(self.delay)
        return self.inner.lookup(entity, ids, keys)

    def put(
        self, entity: Entity, ids: Sequence[str], columns: Mapping[str, Sequence[object]]
    ) -> None:
        self.inner.put(entity, ids, columns)


LATENCY = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
latency_budget: {budget: 1ms, fallback: fail_open}
"""
OVERRUNS = """
breakers:
  - id: slow
    watch: latency_overrun_rate
    over: 60s
    trip_above: 0.5
    min_events: 3
    fallback: safe_pool
    cooldown: 30s
safe_pool: [s1, s2]
"""


def _slow(delay: float = 0.005) -> SlowStore:
    return SlowStore(make_store({"bad": {"hate": 0.99}, "ok": {"hate": 0.0}}), delay)


def test_over_budget_serves_the_ranker_slate(clock: ManualClock) -> None:
    store = _slow()
    guard = Guard(make_guard(LATENCY, store.inner).bundle, store, clock=clock)
    candidates = cands(("bad", 0.9), ("ok", 0.8), ("c", 0.7), ("d", 0.6))
    result = guard.apply(request(candidates, slate_size=3))
    assert store.lookups == 1
    assert result.fallback == "latency_budget:fail_open"
    assert result.slate == ("bad", "ok", "c")
    assert result.decisions.counts()[Action.ALLOW] == 4
    assert result.decisions[0].rules == ("latency_budget",)
    assert result.decisions[3].out_rank is None


def test_over_budget_with_safe_pool(clock: ManualClock) -> None:
    body = LATENCY.replace("fallback: fail_open", "fallback: safe_pool") + "safe_pool: [ok, s1]\n"
    store = _slow()
    guard = Guard(make_guard(body, store.inner).bundle, store, clock=clock)
    result = guard.apply(request(cands(("bad", 0.9), ("ok", 0.8)), slate_size=2))
    assert result.fallback == "latency_budget:safe_pool"
    assert result.slate == ("ok", "s1")
    assert result.decisions[0].action is Action.BLOCK


def test_within_budget_decides_normally(clock: ManualClock) -> None:
    body = LATENCY.replace("1ms", "5s") + OVERRUNS
    store = _slow(0.0)
    guard = Guard(make_guard(body, store.inner).bundle, store, clock=clock)
    for _ in range(3):
        result = guard.apply(request(cands(("bad", 0.9), ("ok", 0.8))))
        assert result.fallback is None
        assert result.slate == ("ok",)
    state = guard.breaker_states()[0]
    assert (state.status, state.events, state.value) == (BreakerStatus.CLOSED, 3, 0.0)


def test_overruns_trip_the_latency_breaker(clock: ManualClock) -> None:
    store = _slow()
    guard = Guard(make_guard(LATENCY + OVERRUNS, store.inner).bundle, store, clock=clock)
    for count in range(1, 4):
        result = guard.apply(request(cands(("bad", 0.9), ("ok", 0.8))))
        assert result.fallback == "latency_budget:fail_open"
        state = guard.breaker_states()[0]
        assert state.events == (count if count < 3 else 0)
    state = guard.breaker_states()[0]
    assert state.status is BreakerStatus.OPEN
    result = guard.apply(request(cands(("bad", 0.9), ("ok", 0.8), ("s2", 0.1))))
    assert result.fallback == "safe_pool"
    assert result.slate == ("s2", "s1")
    assert result.decisions[0].rules == ("breaker:slow",)
    # the open breaker skips the store entirely
    assert store.lookups == 3


def test_a_strict_bundle_with_its_own_latency_budget(tmp_path: Path, clock: ManualClock) -> None:
    """The stricter bundle's budget is checked, so its overrun must be handled too.

    The main bundle has no budget; refusing the stricter bundle's budget at load
    would also be a consistent answer, but deciding must never crash.
    """
    strict = STRICT + "latency_budget: {budget: 1ms, fallback: fail_open}\n"
    main = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
breakers:
  - id: surge
    watch: block_rate
    over: 60s
    trip_above: 0.5
    min_events: 1
    fallback: strict_bundle
    bundle: strict.yaml
"""
    (tmp_path / "strict.yaml").write_text(bundle_text(strict, "strict-slow"), encoding="utf-8")
    (tmp_path / "main.yaml").write_text(bundle_text(main, "main-fast"), encoding="utf-8")
    store = _slow()
    try:
        bundle = load_guard(tmp_path / "main.yaml", store.inner, clock).bundle
    except PolicyError:
        return
    guard = Guard(bundle, store, clock=clock)
    guard.apply(request(cands(("bad", 0.9))))
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN
    result = guard.apply(request(cands(("bad", 0.9), ("ok", 0.8)), slate_size=2))
    assert result.fallback == "latency_budget:fail_open"
    assert result.slate == ("bad", "ok")


def test_a_strict_bundle_latency_budget_serves_its_own_safe_pool(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Over the stricter bundle's budget, its fallback and its safe pool apply."""
    strict = STRICT + "latency_budget: {budget: 1ms, fallback: safe_pool}\nsafe_pool: [s1, s2]\n"
    main = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
breakers:
  - id: surge
    watch: block_rate
    over: 60s
    trip_above: 0.5
    min_events: 1
    fallback: strict_bundle
    bundle: strict.yaml
"""
    (tmp_path / "strict.yaml").write_text(bundle_text(strict, "strict-pool"), encoding="utf-8")
    (tmp_path / "main.yaml").write_text(bundle_text(main, "main-nopool"), encoding="utf-8")
    store = _slow()
    try:
        bundle = load_guard(tmp_path / "main.yaml", store.inner, clock).bundle
    except PolicyError:
        return
    guard = Guard(bundle, store, clock=clock)
    guard.apply(request(cands(("bad", 0.9))))
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN
    result = guard.apply(request(cands(("bad", 0.9), ("ok", 0.8), ("s2", 0.1)), slate_size=2))
    assert result.fallback == "latency_budget:safe_pool"
    assert result.slate == ("s2", "s1")
