"""A row-at-a-time reference interpreter of the policy language.

It defines the semantics the compiled plan must match: SQL three-valued logic,
``NULL`` for a missing or non-finite signal, for division or modulo by zero and
for a ``NaN`` result; ``LEAST``/``GREATEST`` skip ``NULL``; ``%`` is the C
``fmod`` (sign of the dividend), as in DuckDB. Slow by design; used by tests and
to explain single decisions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

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

Value = float | bool | str | None


def evaluate_row(node: Expr, row: Mapping[str, object]) -> Value:
    """Evaluate *node* on one row of field values (missing keys read as ``NULL``)."""
    match node:
        case Field(name):
            return _normalise(row.get(name))
        case Const(value):
            return value
        case Not(operand):
            inner = evaluate_row(operand, row)
            return None if inner is None else not inner
        case Neg(operand):
            inner = evaluate_row(operand, row)
            return None if inner is None else -_num(inner)
        case And(left, right):
            a, b = evaluate_row(left, row), evaluate_row(right, row)
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        case Or(left, right):
            a, b = evaluate_row(left, row), evaluate_row(right, row)
            if a is True or b is True:
                return True
            return None if a is None or b is None else False
        case Compare(op, left, right):
            return _compare(op, evaluate_row(left, row), evaluate_row(right, row))
        case Arith(op, left, right):
            return _arith(op, evaluate_row(left, row), evaluate_row(right, row))
        case InList(operand, values, negated):
            subject = evaluate_row(operand, row)
            if subject is None:
                return None
            found = any(subject == v.value for v in values)
            return not found if negated else found
        case IsNull(operand, negated):
            is_null = evaluate_row(operand, row) is None
            return not is_null if negated else is_null
        case Call(name, args):
            return _call(name, [evaluate_row(a, row) for a in args])
    raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover


def _normalise(value: object) -> Value:
    if value is None:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    raise TypeError(f"unsupported field value {value!r}")


def _num(value: Value) -> float:
    assert isinstance(value, float) and not isinstance(value, bool)
    return value


def _compare(op: str, a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    x, y = _num(a), _num(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _arith(op: str, a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    x, y = _num(a), _num(b)
    if op in ("/", "%") and y == 0:
        return None
    if op == "+":
        result = x + y
    elif op == "-":
        result = x - y
    elif op == "*":
        result = x * y
    elif op == "/":
        result = x / y
    else:
        result = math.fmod(x, y)
    return None if math.isnan(result) else result


def _call(name: str, args: list[Value]) -> Value:
    if name == "coalesce":
        return next((a for a in args if a is not None), None)
    if name == "abs":
        return None if args[0] is None else abs(_num(args[0]))
    if name == "nullif":
        first, second = args
        return None if first is None or first == second else first
    present = [_num(a) for a in args if a is not None]
    if not present:
        return None
    return min(present) if name == "least" else max(present)
