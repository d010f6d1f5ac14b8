"""The expression tree that rules compile from.

The parser turns sqlglot's tree into these few node types, so that the type
checker, the NumPy code generator, the SQL emitter and the reference
interpreter each walk one small, closed set of nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal as TLiteral

CompareOp = TLiteral["=", "!=", "<", "<=", ">", ">="]
ArithOp = TLiteral["+", "-", "*", "/", "%"]
FunctionName = TLiteral["coalesce", "abs", "least", "greatest", "nullif"]
FUNCTIONS: tuple[FunctionName, ...] = ("coalesce", "abs", "least", "greatest", "nullif")


@dataclass(frozen=True, slots=True)
class Field:
    """A signal reference such as ``item.hate``."""

    name: str


@dataclass(frozen=True, slots=True)
class Const:
    """A literal number, string or boolean (``NULL`` is not a literal: use ``IS NULL``)."""

    value: float | bool | str


@dataclass(frozen=True, slots=True)
class Not:
    """``NOT operand``."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Neg:
    """``-operand``."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class And:
    """``left AND right`` with SQL three-valued logic."""

    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or:
    """``left OR right`` with SQL three-valued logic."""

    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison; ``NULL`` on either side gives ``NULL``."""

    op: CompareOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Arith:
    """Arithmetic; division or modulo by zero, or a non-finite result, gives ``NULL``."""

    op: ArithOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class InList:
    """``operand [NOT] IN (v1, v2, ...)`` over literals."""

    operand: Expr
    values: tuple[Const, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull:
    """``operand IS [NOT] NULL``."""

    operand: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    """One of the functions in :data:`FUNCTIONS`."""

    name: FunctionName
    args: tuple[Expr, ...]


Expr = Field | Const | Not | Neg | And | Or | Compare | Arith | InList | IsNull | Call


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of *node*."""
    match node:
        case Field() | Const():
            return ()
        case Not(operand) | Neg(operand) | IsNull(operand):
            return (operand,)
        case And(left, right) | Or(left, right) | Compare(_, left, right) | Arith(_, left, right):
            return (left, right)
        case InList(operand, values):
            return (operand, *values)
        case Call(_, args):
            return args


def walk(node: Expr) -> Iterator[Expr]:
    """*node* and all its descendants, parents first."""
    yield node
    for child in children(node):
        yield from walk(child)


def fields_of(node: Expr) -> list[str]:
    """Field names *node* reads, in first-seen order, without repeats."""
    seen: dict[str, None] = {}
    for sub in walk(node):
        if isinstance(sub, Field):
            seen.setdefault(sub.name, None)
    return list(seen)
