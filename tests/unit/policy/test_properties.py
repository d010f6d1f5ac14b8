"""Property tests: the compiled plan, the reference interpreter and DuckDB agree."""

from __future__ import annotations

import math
import os
from typing import Any

import duckdb
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.core import Candidate, GuardRequest, PolicyError, UserContext
from bastion.guard import Guard
from bastion.policy import Bundle, evaluate_row, parse_bundle, parse_expression, to_sql
from bastion.policy._ast import Expr
from bastion.policy._types import check_condition
from bastion.signals import SignalGatherer
from bastion.stores import MemorySignalStore

from ._strategies import DECLARATIONS, STORE_FIELDS, booleans, slates

# BASTION_PROPERTY_EXAMPLES=5000 for a thorough run; the default keeps the suite fast.
EXAMPLES = int(os.environ.get("BASTION_PROPERTY_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _bundle(conditions: list[tuple[str, str, dict[str, Any]]]) -> Bundle:
    rules = [{"id": rule_id, "when": when, **extra} for rule_id, when, extra in conditions]
    text = yaml.safe_dump(
        {"version": 1, "name": "prop", "signals": DECLARATIONS, "rules": rules}, sort_keys=False
    )
    return parse_bundle(text, file="prop.yaml", provided=STORE_FIELDS)


def _store(data: dict[str, Any]) -> MemorySignalStore:
    store = MemorySignalStore(schema=STORE_FIELDS)
    items = data["items"]
    ids = [f"i{k}" for k in range(len(items))]
    for key in ("a", "b", "flag", "flag2", "s", "t", "creator_id"):
        store.put("item", ids, {key: [row[key] for row in items]})
    creators = data["creators"]
    for key in ("r", "v"):
        store.put("creator", list(creators), {key: [creators[c][key] for c in creators]})
    return store


def _request(data: dict[str, Any]) -> GuardRequest:
    user = data["user"]
    return GuardRequest(
        request_id="prop",
        candidates=[Candidate(f"i{k}", s, k) for k, s in enumerate(data["scores"])],
        slate_size=len(data["scores"]),
        user=UserContext("u", user["age_band"], None, {k: user[k] for k in ("n", "f", "k")}),
    )


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _rows(bundle: Bundle, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per item: every field value after NaN/inf -> NULL and the bundle's defaults."""
    rows = []
    for k, item in enumerate(data["items"]):
        creator = data["creators"].get(item["creator_id"], {})
        raw = {
            **{f"item.{key}": item[key] for key in ("a", "b", "flag", "flag2", "s", "t")},
            "item.score": data["scores"][k],
            "creator.r": creator.get("r"),
            "creator.v": creator.get("v"),
            **{f"user.{key}": data["user"][key] for key in ("age_band", "n", "f", "k")},
        }
        row = {}
        for name, value in raw.items():
            value = _clean(value)
            default = bundle.schema.fields[name].default
            row[name] = default if value is None else value
        rows.append(row)
    return rows


def _duckdb_fired(sql: str, rows: list[dict[str, Any]]) -> list[bool]:
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE t (pos INTEGER,
        item STRUCT(a DOUBLE, b DOUBLE, flag BOOLEAN, flag2 BOOLEAN, s VARCHAR, t VARCHAR, score DOUBLE),
        creator STRUCT(r DOUBLE, v BOOLEAN),
        "user" STRUCT(age_band VARCHAR, n DOUBLE, f BOOLEAN, k VARCHAR))"""
    )
    for pos, row in enumerate(rows):
        split: dict[str, dict[str, Any]] = {"item": {}, "creator": {}, "user": {}}
        for name, value in row.items():
            namespace, key = name.split(".")
            split[namespace][key] = value
        con.execute(
            "INSERT INTO t VALUES (?, ?, ?, ?)",
            [pos, split["item"], split["creator"], split["user"]],
        )
    result = con.execute(f"SELECT COALESCE({sql}, FALSE) FROM t ORDER BY pos").fetchall()
    return [bool(r[0]) for r in result]


@SETTINGS
@given(expr=booleans(3), data=slates())
def test_compiled_plan_matches_reference_interpreter_and_duckdb(
    expr: Expr, data: dict[str, Any]
) -> None:
    sql = to_sql(expr)
    bundle = _bundle([("r", sql, {"action": "block"})])
    store = _store(data)
    request = _request(data)
    ids = [c.item_id for c in request.candidates]
    gathered = SignalGatherer(bundle.plan.fields).gather(request, store)
    fired = bundle.plan.evaluate(gathered.values, gathered.nulls, len(ids))[0].tolist()

    rows = _rows(bundle, data)
    expected = [evaluate_row(expr, row) is True for row in rows]
    assert fired == expected, f"plan disagrees with the interpreter on {sql}\n{bundle.plan.source}"
    assert _duckdb_fired(sql, rows) == expected, f"DuckDB disagrees on {sql}"


@SETTINGS
@given(expr=booleans(3))
def test_sql_text_parses_back_to_the_same_meaning(expr: Expr) -> None:
    parsed = parse_expression(to_sql(expr))
    assert to_sql(parse_expression(to_sql(parsed))) == to_sql(parsed)


_TOKENS = [
    "item.a",
    "item.s",
    "user.age_band",
    "creator.r",
    "item.flag",
    "x",
    "1",
    "0.5",
    "'a'",
    "''",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "BETWEEN",
    "(",
    ")",
    ",",
    "=",
    "!=",
    "<>",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "COALESCE(",
    "ABS(",
    "LEAST(",
    "frob(",
    "SELECT",
    ";",
    "--",
    '"q"',
    "TRUE",
    "item.",
    ".a",
    "1e999",
    "@",
    "$1",
    "item.a.b",
]


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(st.lists(st.sampled_from(_TOKENS), max_size=12).map(" ".join), st.text(max_size=60))
)
def test_random_text_compiles_or_fails_with_policy_error(text: str) -> None:
    try:
        bundle = _bundle([("r", text, {"action": "block"})])
    except PolicyError as error:
        assert error.message
        assert error.file == "prop.yaml"
        return
    # Whatever compiled must also run.
    data = {
        "items": [
            {
                "a": 1.0,
                "b": None,
                "flag": True,
                "flag2": None,
                "s": "x",
                "t": None,
                "creator_id": "c0",
            }
        ],
        "creators": {"c0": {"r": 0.5, "v": None}},
        "user": {"age_band": "13-17", "n": None, "f": True, "k": None},
        "scores": [1.0],
    }
    store = _store(data)
    request = _request(data)
    gathered = SignalGatherer(bundle.plan.fields).gather(request, store)
    bundle.plan.evaluate(gathered.values, gathered.nulls, 1)


@settings(max_examples=200, deadline=None)
@given(expr=booleans(2), bad=st.sampled_from(["item.a", "'x'", "1", "item.flag"]))
def test_ill_typed_trees_fail_with_policy_error(expr: Expr, bad: str) -> None:
    text = f"({to_sql(expr)}) + {bad}"
    with pytest.raises(PolicyError):
        check_condition(parse_expression(text), STORE_FIELDS)


_ACTIONS = st.sampled_from(
    [
        {"action": "block"},
        {"action": "demote", "factor": 0.5},
        {"action": "label", "label": "l"},
        {"action": "allow", "priority": 5},
        {"action": "block", "priority": 10},
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(st.tuples(booleans(2), _ACTIONS), min_size=1, max_size=4),
    extra=booleans(2),
    priority=st.integers(0, 12),
    data=slates(size=8),
)
def test_adding_a_block_rule_never_unblocks_an_item(
    rules: list[tuple[Expr, dict[str, Any]]], extra: Expr, priority: int, data: dict[str, Any]
) -> None:
    conditions = [(f"r{k}", to_sql(e), a) for k, (e, a) in enumerate(rules)]
    before = _bundle(conditions)
    after = _bundle(
        [*conditions, ("added", to_sql(extra), {"action": "block", "priority": priority})]
    )
    store = _store(data)
    request = _request(data)
    old = Guard(before, store).apply(request).decisions
    new = Guard(after, store).apply(request).decisions
    was_blocked = np.asarray(old.actions) == 3
    is_blocked = np.asarray(new.actions) == 3
    assert not np.any(was_blocked & ~is_blocked)
    # Rules already there fire exactly as before.
    assert np.array_equal(np.asarray(old.fired), np.asarray(new.fired)[: len(rules)])
    # And the served slate never gains an item the old policy blocked.
    assert not set(new_id for new_id in Guard(after, store).apply(request).slate) & {
        d.item_id for d in old if d.action.value == "block"
    }
