"""The guard decides a request holding candidate columns exactly as one holding a list."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.core import (
    BreakerStatus,
    Candidate,
    GuardRequest,
    GuardResult,
    ManualClock,
    UserContext,
    candidate_columns,
)
from bastion.guard import Guard
from bastion.stores import MemorySignalStore

from ._support import cands, make_guard, make_store

DECIDE = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
  - id: toxic
    when: item.toxicity >= 0.6
    action: demote
    factor: 0.5
  - id: risky
    when: creator.risk >= 0.7
    action: demote
    factor: 0.4
  - id: deep-nsfw
    when: item.rank >= 3 and item.nsfw >= 0.5
    action: label
    label: sensitive
constraints:
  - id: cap
    max_per_creator: 2
    window: 4
"""
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
    fallback: {fallback}
    cooldown: 30s
safe_pool: [p1, p2, p3, p4]
"""
ITEMS = ["bad", "toxic", "racy", "clean", "plain", "p1", "p2", "p3", "p4", "unknown"]


def _store() -> MemorySignalStore:
    return make_store(
        {
            "bad": {"hate": 0.95, "toxicity": 0.9},
            "toxic": {"hate": 0.1, "toxicity": 0.7},
            "racy": {"nsfw": 0.8, "hate": 0.0},
            "clean": {"hate": 0.0, "toxicity": 0.0, "nsfw": 0.0},
            "plain": {"hate": 0.2},
            **{p: {"hate": 0.0} for p in ("p1", "p2", "p3", "p4")},
        },
        {"shady": {"risk": 0.9}, "fine": {"risk": 0.1}},
    )


def _request(candidates: list[Candidate], slate_size: int, *, columns: bool) -> GuardRequest:
    return GuardRequest(
        "r1",
        candidate_columns(candidates) if columns else candidates,
        slate_size,
        user=UserContext("u1", age_band="25-34", region="US"),
    )


def _same(one: GuardResult, other: GuardResult) -> None:
    one, other = (dataclasses.replace(r, latency_us=0.0, signals={}) for r in (one, other))
    assert one.slate == other.slate and one.fallback == other.fallback
    assert list(one.decisions) == list(other.decisions)
    for name in ("actions", "factors", "out_ranks", "fired", "effective"):
        assert np.array_equal(getattr(one.decisions, name), getattr(other.decisions, name))


slates = st.lists(
    st.tuples(
        st.sampled_from(ITEMS),
        st.floats(-2, 2) | st.integers(-2, 2),
        st.integers(-5, 5),
        st.none() | st.sampled_from(["shady", "fine", "other"]),
    ),
    max_size=12,
    unique_by=lambda row: row[0],
)


@settings(max_examples=80, deadline=None)
@given(rows=slates, slate_size=st.integers(1, 8))
def test_columns_decide_as_the_list(
    rows: list[tuple[str, float, int, str | None]], slate_size: int
) -> None:
    candidates = [Candidate(item, score, rank, creator) for item, score, rank, creator in rows]
    store = _store()
    listed = make_guard(DECIDE, store).apply(_request(candidates, slate_size, columns=False))
    columnar = make_guard(DECIDE, store).apply(_request(candidates, slate_size, columns=True))
    _same(listed, columnar)
    assert {"item.rank", "creator.risk"} <= set(listed.signals) == set(columnar.signals)
    for name, values in listed.signals.items():
        assert np.array_equal(values, columnar.signals[name], equal_nan=True)


def _tripped(fallback: str) -> Guard:
    guard = make_guard(SAFE_POOL.format(fallback=fallback), _store(), clock=ManualClock())
    for _ in range(4):
        guard.apply(_request(cands(("bad", 0.9)), 10, columns=False))
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN
    return guard


@given(
    rows=slates, slate_size=st.integers(1, 8), fallback=st.sampled_from(["safe_pool", "fail_open"])
)
@settings(max_examples=60, deadline=None)
def test_fallbacks_serve_columns_as_the_list(
    rows: list[tuple[str, float, int, str | None]], slate_size: int, fallback: str
) -> None:
    candidates = [Candidate(item, score, rank, creator) for item, score, rank, creator in rows]
    listed = _tripped(fallback).apply(_request(candidates, slate_size, columns=False))
    columnar = _tripped(fallback).apply(_request(candidates, slate_size, columns=True))
    assert listed.fallback == fallback
    _same(listed, columnar)


def test_fallbacks_order_columns_by_the_ranker_rank() -> None:
    candidates = [Candidate("p2", 0.5, 3), Candidate("x", 0.5, 0), Candidate("p4", 0.5, 1)]
    pooled = _tripped("safe_pool").apply(_request(candidates, 2, columns=True))
    assert pooled.slate == ("p4", "p2")
    opened = _tripped("fail_open").apply(_request(candidates, 3, columns=True))
    assert opened.slate == ("x", "p4", "p2")
