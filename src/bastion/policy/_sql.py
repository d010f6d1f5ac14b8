"""Expression tree -> SQL text that DuckDB runs over logged decisions.

Offline tables keep one struct column per namespace (``item``, ``creator``,
``user``, ``request``), so ``item.hate >= 0.9`` reads the same online and
offline. Division and modulo go through ``NULLIF(divisor, 0)`` because DuckDB
returns ``inf`` for ``x / 0`` and raises for ``x % 0``, where the policy
language defines both as ``NULL``.
"""

from __future__ import annotations

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


def to_sql(node: Expr) -> str:
    """The SQL text of *node*, fully parenthesised."""
    match node:
        case Field(name):
            return name
        case Const(value):
            return sql_literal(value)
        case Not(operand):
            return f"(NOT {to_sql(operand)})"
        case Neg(operand):
            return f"(- {to_sql(operand)})"  # a space, or "--" starts a SQL comment
        case And(left, right):
            return f"({to_sql(left)} AND {to_sql(right)})"
        case Or(left, right):
            return f"({to_sql(left)} OR {to_sql(right)})"
        case Compare(op, left, right):
            sql_op = "<>" if op == "!=" else op
            return f"({to_sql(left)} {sql_op} {to_sql(right)})"
        case Arith(op, left, right):
            if op in ("/", "%"):
                divisor = to_sql(right)
                if not (
                    isinstance(right, Call)
                    and right.name == "nullif"
                    and right.args[1] == Const(0.0)
                ):
                    divisor = f"NULLIF({divisor}, 0)"
                return f"({to_sql(left)} {op} {divisor})"
            return f"({to_sql(left)} {op} {to_sql(right)})"
        case InList(operand, values, negated):
            word = "NOT IN" if negated else "IN"
            return f"({to_sql(operand)} {word} ({', '.join(to_sql(v) for v in values)}))"
        case IsNull(operand, negated):
            return f"({to_sql(operand)} IS {'NOT ' if negated else ''}NULL)"
        case Call(name, args):
            return f"{name.upper()}({', '.join(to_sql(a) for a in args)})"
    raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover


def sql_literal(value: float | bool | str) -> str:
    """A SQL literal for *value*."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if value == int(value) and abs(value) < 2**31:
        return str(int(value))
    return repr(value)
