"""Slate constraints: fill_slate directly, through the Guard, and as properties."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.core import Action, Candidate, FieldType, SignalField
from bastion.guard import Guard, fill_slate
from bastion.guard._constraints import compile_constraints
from bastion.policy import ConstraintSpec

from ._support import SCHEMA, cands, make_guard, make_store, request
from ._support import parse as parse_bundle_body


def rules(*specs: dict[str, Any]) -> tuple[Any, ...]:
    return compile_constraints([ConstraintSpec.model_validate(s) for s in specs])


def creator_cap(limit: int, window: int, cid: str = "cap") -> dict[str, Any]:
    return {"id": cid, "max_per_creator": limit, "window": window}


def gap(size: int, field: str = "item.topic", cid: str = "gap") -> dict[str, Any]:
    return {"id": cid, "min_gap": size, "field": field}


def column(values: Sequence[object]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def order(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.intp)


# -- fill_slate by example -------------------------------------------------------


def test_no_constraints_takes_the_first_slate_size() -> None:
    chosen, notes = fill_slate(np.array([4, 2, 0, 3, 1]), 3, (), {})
    assert chosen == [4, 2, 0]
    assert notes == {}


def test_max_per_creator_defers_the_third_item_of_a_creator() -> None:
    creators = column(["a", "a", "a", "b", "a"])
    chosen, notes = fill_slate(order(5), 4, rules(creator_cap(2, 10)), {"creator": creators})
    assert chosen == [0, 1, 3]
    assert notes == {2: ("cap",), 4: ("cap",)}


def test_max_per_creator_only_counts_inside_the_window() -> None:
    creators = column(["a", "a", "b", "c", "a", "a"])
    chosen, _ = fill_slate(order(6), 6, rules(creator_cap(1, 2)), {"creator": creators})
    # one "a" in any two consecutive positions
    assert chosen == [0, 2, 1, 3, 4]
    assert [creators[i] for i in chosen] == ["a", "b", "a", "c", "a"]


def test_a_deferred_item_returns_as_soon_as_it_fits() -> None:
    creators = column(["a", "a", "b", "c", "d"])
    chosen, notes = fill_slate(order(5), 5, rules(creator_cap(1, 3)), {"creator": creators})
    assert chosen == [0, 2, 3, 1, 4]
    assert notes == {1: ("cap",)}


def test_min_gap_spaces_equal_values() -> None:
    topics = column(["ev1", "ev1", None, None])
    chosen, notes = fill_slate(order(4), 4, rules(gap(3)), {"item.topic": topics})
    assert chosen == [0, 2, 3, 1]
    assert notes == {1: ("gap",)}


def test_min_gap_on_a_number_field_ignores_nan() -> None:
    values = np.array([1.0, 1.0, math.nan, math.nan, 2.0])
    chosen, _ = fill_slate(order(5), 5, rules(gap(2, "item.cluster")), {"item.cluster": values})
    assert chosen == [0, 2, 1, 3, 4]


def test_the_slate_ends_short_rather_than_break_a_constraint() -> None:
    creators = column(["a", "a", "a"])
    chosen, notes = fill_slate(order(3), 3, rules(creator_cap(1, 5)), {"creator": creators})
    assert chosen == [0]
    assert set(notes) == {1, 2}


def test_none_values_never_constrain() -> None:
    creators = column([None] * 6)
    topics = column([None] * 6)
    specs = rules(creator_cap(1, 5), gap(4))
    chosen, notes = fill_slate(order(6), 5, specs, {"creator": creators, "item.topic": topics})
    assert chosen == [0, 1, 2, 3, 4]
    assert notes == {}


def test_each_constraint_is_named_when_it_defers() -> None:
    creators = column(["a", "a", "b", "c"])
    topics = column(["x", "y", "x", "z"])
    specs = rules(creator_cap(1, 2, "cap"), gap(2, cid="gap"))
    chosen, notes = fill_slate(order(4), 4, specs, {"creator": creators, "item.topic": topics})
    assert chosen == [0, 3, 1, 2]
    assert notes[1] == ("cap",)
    assert notes[2] == ("gap",)


# -- fill_slate as properties ----------------------------------------------------


def reference_fill(
    preference: list[int],
    slate_size: int,
    cap: tuple[int, int] | None,
    min_gap: int | None,
    creators: Sequence[object],
    topics: Sequence[object],
) -> list[int]:
    """The documented greedy: each position takes the most preferred remaining item that fits."""
    placed: list[int] = []
    while len(placed) < slate_size:
        for candidate in preference:
            if candidate not in placed and fits(placed, candidate, cap, min_gap, creators, topics):
                placed.append(candidate)
                break
        else:
            break
    return placed


def fits(
    placed: list[int],
    candidate: int,
    cap: tuple[int, int] | None,
    min_gap: int | None,
    creators: Sequence[object],
    topics: Sequence[object],
) -> bool:
    slate = [*placed, candidate]
    return not violations(slate, cap, min_gap, creators, topics)


def violations(
    slate: list[int],
    cap: tuple[int, int] | None,
    min_gap: int | None,
    creators: Sequence[object],
    topics: Sequence[object],
) -> list[str]:
    """Every violated constraint, checking every window and every pair."""
    found = []
    if cap is not None:
        limit, window = cap
        for start in range(len(slate)):
            seen: dict[object, int] = {}
            for index in slate[start : start + window]:
                value = creators[index]
                if value is None:
                    continue
                seen[value] = seen.get(value, 0) + 1
                if seen[value] > limit:
                    found.append(f"cap at {start}: {value}")
    if min_gap is not None:
        for i, a in enumerate(slate):
            for j in range(i + 1, len(slate)):
                value = topics[a]
                if value is not None and value == topics[slate[j]] and j - i < min_gap:
                    found.append(f"gap between {i} and {j}: {value}")
    return found


@st.composite
def slates(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 14))
    creators = draw(st.lists(st.sampled_from(["c0", "c1", "c2", None]), min_size=n, max_size=n))
    topics = draw(st.lists(st.sampled_from(["t0", "t1", "t2", None]), min_size=n, max_size=n))
    preference = draw(st.permutations(list(range(n))))
    blocked = draw(st.sets(st.sampled_from(range(n)), max_size=n) if n else st.just(set()))
    cap = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 6)))
    min_gap = draw(st.none() | st.integers(1, 5))
    slate_size = draw(st.integers(1, 12))
    return {
        "creators": creators,
        "topics": topics,
        "order": [i for i in preference if i not in blocked],
        "blocked": blocked,
        "cap": cap,
        "min_gap": min_gap,
        "slate_size": slate_size,
    }


def _compiled(case: dict[str, Any]) -> tuple[Any, ...]:
    specs = []
    if case["cap"] is not None:
        specs.append(creator_cap(*case["cap"]))
    if case["min_gap"] is not None:
        specs.append(gap(case["min_gap"]))
    return rules(*specs)


@settings(max_examples=300, deadline=None)
@given(slates())
def test_fill_slate_never_violates_a_constraint(case: dict[str, Any]) -> None:
    keys = {"creator": column(case["creators"]), "item.topic": column(case["topics"])}
    chosen, notes = fill_slate(
        np.array(case["order"], dtype=np.intp), case["slate_size"], _compiled(case), keys
    )
    assert len(chosen) <= case["slate_size"]
    assert len(set(chosen)) == len(chosen)
    assert set(chosen) <= set(case["order"])
    assert not set(chosen) & case["blocked"]
    assert violations(chosen, case["cap"], case["min_gap"], case["creators"], case["topics"]) == []
    assert set(notes) <= set(case["order"])
    assert all(set(ids) <= {"cap", "gap"} for ids in notes.values())
    # the documented greedy, implemented independently
    expected = reference_fill(
        case["order"],
        case["slate_size"],
        case["cap"],
        case["min_gap"],
        case["creators"],
        case["topics"],
    )
    assert chosen == expected
    if len(chosen) < min(case["slate_size"], len(case["order"])):
        for candidate in set(case["order"]) - set(chosen):
            assert not fits(
                chosen, candidate, case["cap"], case["min_gap"], case["creators"], case["topics"]
            )


@settings(max_examples=150, deadline=None)
@given(slates())
def test_fill_slate_without_constraints_is_a_prefix(case: dict[str, Any]) -> None:
    chosen, notes = fill_slate(np.array(case["order"], dtype=np.intp), case["slate_size"], (), {})
    assert chosen == case["order"][: case["slate_size"]]
    assert notes == {}


@settings(max_examples=150, deadline=None)
@given(slates())
def test_only_none_values_never_constrain(case: dict[str, Any]) -> None:
    n = len(case["creators"])
    keys = {"creator": column([None] * n), "item.topic": column([None] * n)}
    compiled = rules(creator_cap(1, 6), gap(5))
    chosen, notes = fill_slate(
        np.array(case["order"], dtype=np.intp), case["slate_size"], compiled, keys
    )
    assert chosen == case["order"][: case["slate_size"]]
    assert notes == {}


# -- through the Guard -----------------------------------------------------------

CONSTRAINED = """
rules:
  - id: bad
    when: item.bad
    action: block
constraints:
  - id: cap
    max_per_creator: 2
    window: 4
  - id: gap
    min_gap: 3
    field: item.topic
"""
_BUNDLE = parse_bundle_body(CONSTRAINED, make_store(schema=SCHEMA))


def test_guard_applies_the_constraints() -> None:
    store = make_store(
        {
            "a1": {"topic": "music"},
            "a2": {"topic": "sport"},
            "a3": {"topic": "food"},
            "b1": {"topic": "music"},
            "b2": {"topic": "news"},
        }
    )
    guard = Guard(_BUNDLE, store)
    candidates = cands(
        ("a1", 0.9, "a"), ("a2", 0.8, "a"), ("a3", 0.7, "a"), ("b1", 0.6, "b"), ("b2", 0.5, "b")
    )
    result = guard.apply(request(candidates, slate_size=5))
    # a3 waits for the window of 4 to hold only one "a"; b1 (music) waits for a gap of 3
    assert result.slate == ("a1", "a2", "b2", "b1", "a3")
    by_item = result.decisions.by_item()
    assert by_item["a3"].constraints == ("cap",)
    assert by_item["b1"].constraints == ("gap",)
    assert by_item["b1"].out_rank == 3
    assert by_item["a1"].constraints == ()
    assert "constraints: gap" in by_item["b1"].reason


def test_guard_reads_creators_from_the_store_for_constraints() -> None:
    schema = SCHEMA.merged(SCHEMA.of([SignalField("item.creator_id", FieldType.STRING)]))
    store = make_store(
        {"x1": {"creator_id": "x"}, "x2": {"creator_id": "x"}, "x3": {"creator_id": "x"}},
        schema=schema,
    )
    body = "constraints:\n  - id: cap\n    max_per_creator: 1\n    window: 3\n"
    guard = make_guard(body, store)
    result = guard.apply(request(cands(("x1", 0.9), ("x2", 0.8), ("y", 0.7), ("x3", 0.6))))
    assert result.slate == ("x1", "y")
    assert result.decisions.by_item()["x3"].constraints == ("cap",)


def test_guard_constraints_apply_after_demotion() -> None:
    body = """
rules:
  - id: toxic
    when: item.toxicity >= 0.5
    action: demote
    factor: 0.1
constraints:
  - id: gap
    min_gap: 3
    field: item.topic
"""
    store = make_store({"t": {"toxicity": 0.9, "topic": "x"}, "u": {"topic": "x"}, "v": {}})
    guard = make_guard(body, store)
    result = guard.apply(request(cands(("t", 0.9), ("u", 0.5), ("v", 0.4), ("w", 0.3))))
    assert result.decisions[0].action is Action.DEMOTE
    # t (0.09) falls below w, and is then three positions after u (same topic)
    assert result.slate == ("u", "v", "w", "t")
    assert result.decisions[0].constraints == ()
    assert result.decisions[0].out_rank == 3
    # without w, t would follow u after a gap of only 2: the slate ends short
    short = guard.apply(request(cands(("t", 0.9), ("u", 0.5), ("v", 0.4))))
    assert short.slate == ("u", "v")
    assert short.decisions[0].out_rank is None
    assert short.decisions[0].constraints == ("gap",)


@st.composite
def guard_cases(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 12))
    ids = [f"i{k}" for k in range(n)]
    creators = draw(st.lists(st.sampled_from(["c0", "c1", None]), min_size=n, max_size=n))
    topics = draw(st.lists(st.sampled_from(["t0", "t1", None]), min_size=n, max_size=n))
    bad = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    scores = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    ranks = draw(st.permutations(list(range(n))))
    return {
        "ids": ids,
        "creators": creators,
        "topics": topics,
        "bad": bad,
        "scores": scores,
        "ranks": ranks,
        "slate_size": draw(st.integers(1, 10)),
    }


@settings(max_examples=120, deadline=None)
@given(guard_cases())
def test_guard_slates_never_violate_constraints(case: dict[str, Any]) -> None:
    ids = case["ids"]
    store = make_store(
        {
            i: {"topic": t, "bad": b}
            for i, t, b in zip(ids, case["topics"], case["bad"], strict=True)
        }
    )
    guard = Guard(_BUNDLE, store)
    candidates = [
        Candidate(i, float(s), r, creator_id=c)
        for i, s, r, c in zip(ids, case["scores"], case["ranks"], case["creators"], strict=True)
    ]
    result = guard.apply(request(candidates, slate_size=case["slate_size"]))
    index = {item: k for k, item in enumerate(ids)}
    slate = [index[item] for item in result.slate]
    blocked = {k for k, b in enumerate(case["bad"]) if b}
    assert len(slate) <= case["slate_size"]
    assert len(set(slate)) == len(slate)
    assert not set(slate) & blocked
    assert violations(slate, (2, 4), 3, case["creators"], case["topics"]) == []
    for position, k in enumerate(slate):
        assert result.decisions[k].out_rank == position
    for k in blocked:
        assert result.decisions[k].action is Action.BLOCK
        assert result.decisions[k].out_rank is None
    # the guard's preference order: score, then ranker rank
    preference = sorted(
        (k for k in range(len(ids)) if k not in blocked),
        key=lambda k: (-case["scores"][k], case["ranks"][k]),
    )
    expected = reference_fill(
        preference, case["slate_size"], (2, 4), 3, case["creators"], case["topics"]
    )
    assert slate == expected


@pytest.mark.parametrize("size", [1, 3, 50])
def test_guard_without_constraints_serves_a_prefix(size: int) -> None:
    store = make_store({})
    guard = make_guard("rules: []\n", store)
    candidates = [Candidate(f"i{k}", 1.0 - k / 100, k, creator_id="same") for k in range(20)]
    result = guard.apply(request(candidates, slate_size=size))
    assert result.slate == tuple(f"i{k}" for k in range(min(size, 20)))
