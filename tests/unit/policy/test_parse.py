"""The expression language: what parses, what it means, and clear refusals."""

from __future__ import annotations

import pytest

from bastion.core import PolicyError
from bastion.policy import evaluate_row, parse_expression, to_sql
from bastion.policy._ast import And, Compare, Const, Field, InList, IsNull, Not


def test_parses_the_design_example() -> None:
    tree = parse_expression("user.age_band = '13-17' AND (item.nsfw >= 0.3 OR item.mature)")
    assert isinstance(tree, And)
    assert tree.left == Compare("=", Field("user.age_band"), Const("13-17"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("item.x NOT IN (1, 2)", InList(Field("item.x"), (Const(1.0), Const(2.0)), True)),
        ("item.x IS NOT NULL", IsNull(Field("item.x"), True)),
        ("NOT creator.verified", Not(Field("creator.verified"))),
        ("ITEM.Hate > 1", Compare(">", Field("item.hate"), Const(1.0))),
        ("item.x <> 1", Compare("!=", Field("item.x"), Const(1.0))),
        ("item.t = 'a;b'", Compare("=", Field("item.t"), Const("a;b"))),
    ],
)
def test_parse_shapes(text: str, expected: object) -> None:
    assert parse_expression(text) == expected


def test_between_means_inclusive_range() -> None:
    tree = parse_expression("item.x BETWEEN 1 AND 2")
    assert [evaluate_row(tree, {"item.x": v}) for v in (0.5, 1.0, 2.0, 2.5, None)] == [
        False,
        True,
        True,
        False,
        None,
    ]


def test_three_valued_logic() -> None:
    tree = parse_expression("item.a > 1 OR item.b > 1")
    assert evaluate_row(tree, {"item.a": None, "item.b": 2.0}) is True
    assert evaluate_row(tree, {"item.a": None, "item.b": 0.0}) is None
    tree = parse_expression("item.a > 1 AND item.b > 1")
    assert evaluate_row(tree, {"item.a": None, "item.b": 0.0}) is False


def test_division_and_modulo_by_zero_are_null() -> None:
    assert evaluate_row(parse_expression("item.a / 0 > 1"), {"item.a": 1.0}) is None
    assert evaluate_row(parse_expression("item.a % 0 IS NULL"), {"item.a": 1.0}) is True
    assert evaluate_row(parse_expression("-7 % 2 = -1"), {}) is True  # C fmod, as DuckDB


def test_least_greatest_skip_nulls_and_nullif() -> None:
    assert evaluate_row(parse_expression("LEAST(item.a, 3) = 3"), {}) is True
    assert evaluate_row(parse_expression("NULLIF(item.a, 0) IS NULL"), {"item.a": 0.0}) is True


def test_sql_round_trip_is_stable() -> None:
    text = "item.a / item.b > 1 AND NOT item.s IN ('x', 'it''s')"
    once = to_sql(parse_expression(text))
    assert to_sql(parse_expression(once)) == once
    assert "NULLIF(item.b, 0)" in once and "'it''s'" in once


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("hate > 1", "did you mean item.hate"),
        ("foo.bar > 1", "unknown namespace"),
        ("item.x = NULL", "IS NULL"),
        ("frob(item.x) > 1", "unknown function FROB"),
        ("item.x >", "incomplete"),
        ("item.x > 1 item.y", "Unexpected token"),
        ("item.x IN (SELECT 1)", "list of literals"),
        ("item.x IN (item.y)", "literals only"),
        ("item.x > 1; DROP TABLE t", "exactly one expression"),
        ("a.b.c > 1", "qualified"),
        ("ABS(item.x, 2) > 1", "arguments"),
        ("item.x LIKE 'a%'", "not supported"),
        ("item.x > 1e999", "out of range"),
        ("(" * 70 + "item.x" + ")" * 70, "nested"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=None) as caught:
        parse_expression(text)
    assert message in str(caught.value)
