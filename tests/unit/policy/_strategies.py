"""Hypothesis strategies for well-typed policy expressions and slates of data."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from bastion.core import FieldType, SignalField, SignalSchema
from bastion.policy._ast import (
    And,
    Arith,
    Call,
    Compare,
    Const,
    Expr,
    Field,
    InList,
    IsNull,
    Neg,
    Not,
    Or,
)

N, B, S = FieldType.NUMBER, FieldType.BOOL, FieldType.STRING

# What the store provides, and what the bundle declares on top (with defaults).
STORE_FIELDS = SignalSchema.of(
    [
        SignalField("item.a", N),
        SignalField("item.b", N),
        SignalField("item.flag", B),
        SignalField("item.flag2", B),
        SignalField("item.s", S),
        SignalField("item.t", S),
        SignalField("creator.r", N),
        SignalField("creator.v", B),
    ]
)
DECLARATIONS = {
    "item.b": {"default": 0.5},
    "item.flag2": {"default": False},
    "item.t": {"default": "x"},
    "user.n": {"type": "number"},
    "user.f": {"type": "bool"},
    "user.k": {"type": "string", "default": "y"},
}
NUMBER_FIELDS = ["item.a", "item.b", "creator.r", "user.n", "item.score"]
BOOL_FIELDS = ["item.flag", "item.flag2", "creator.v", "user.f"]
STRING_FIELDS = ["item.s", "item.t", "user.age_band", "user.k"]
NUMBERS = [0.0, 0.5, 1.0, 2.0, -1.5, 3.0, 0.25]
STRINGS = ["x", "y", "13-17", "it's"]


def numbers(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(st.sampled_from(NUMBER_FIELDS).map(Field), st.sampled_from(NUMBERS).map(Const))
    if depth <= 0:
        return leaf
    sub = st.deferred(lambda: numbers(depth - 1))
    return st.one_of(
        leaf,
        sub.map(Neg),
        st.builds(Arith, st.sampled_from(["+", "-", "*", "/", "%"]), sub, sub),
        st.builds(lambda a: Call("abs", (a,)), sub),
        st.builds(
            lambda name, args: Call(name, tuple(args)),
            st.sampled_from(["least", "greatest", "coalesce"]),
            st.lists(sub, min_size=2, max_size=3),
        ),
    )


def strings(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(st.sampled_from(STRING_FIELDS).map(Field), st.sampled_from(STRINGS).map(Const))
    if depth <= 0:
        return leaf
    sub = st.deferred(lambda: strings(depth - 1))
    return st.one_of(leaf, st.builds(lambda a, b: Call("coalesce", (a, b)), sub, sub))


def booleans(depth: int = 3) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(
        st.sampled_from(BOOL_FIELDS).map(Field), st.sampled_from([True, False]).map(Const)
    )
    if depth <= 0:
        return leaf
    sub = st.deferred(lambda: booleans(depth - 1))
    any_expr = st.one_of(numbers(1), strings(1), sub)
    return st.one_of(
        leaf,
        sub.map(Not),
        st.builds(And, sub, sub),
        st.builds(Or, sub, sub),
        st.builds(
            Compare,
            st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
            numbers(depth - 1),
            numbers(depth - 1),
        ),
        st.builds(Compare, st.sampled_from(["=", "!="]), strings(1), strings(1)),
        st.builds(Compare, st.sampled_from(["=", "!="]), sub, sub),
        st.builds(
            InList,
            numbers(depth - 1),
            st.lists(st.sampled_from(NUMBERS).map(Const), min_size=1, max_size=3).map(tuple),
            st.booleans(),
        ),
        st.builds(
            InList,
            strings(1),
            st.lists(st.sampled_from(STRINGS).map(Const), min_size=1, max_size=3).map(tuple),
            st.booleans(),
        ),
        st.builds(IsNull, any_expr, st.booleans()),
        st.builds(lambda a, b: Call("coalesce", (a, b)), sub, sub),
    )


_number_values = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.5, 3.0, 0.25, -0.0]),
    st.floats(-10, 10, allow_nan=False, width=32).map(float),
    st.just(math.nan),
    st.just(math.inf),
    st.none(),
)
_bool_values = st.one_of(st.booleans(), st.none())
_string_values = st.one_of(st.sampled_from(STRINGS), st.none())


@st.composite
def slates(draw: Any, size: int | None = None) -> dict[str, Any]:
    """Random item rows, creator rows and user attributes."""
    n = size if size is not None else draw(st.integers(1, 12))
    items = [
        {
            "a": draw(_number_values),
            "b": draw(_number_values),
            "flag": draw(_bool_values),
            "flag2": draw(_bool_values),
            "s": draw(_string_values),
            "t": draw(_string_values),
            "creator_id": draw(st.sampled_from(["c0", "c1", "c2", "nobody"])),
        }
        for _ in range(n)
    ]
    creators = {c: {"r": draw(_number_values), "v": draw(_bool_values)} for c in ("c0", "c1", "c2")}
    user = {
        "age_band": draw(_string_values),
        "n": draw(_number_values),
        "f": draw(_bool_values),
        "k": draw(_string_values),
    }
    scores = [float(draw(st.integers(-5, 20))) / 4 for _ in range(n)]
    return {"items": items, "creators": creators, "user": user, "scores": scores}
