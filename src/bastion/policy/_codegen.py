"""Expression trees -> one generated Python function over NumPy columns.

All rules of a bundle become one function that evaluates each rule over the
whole slate at once. Identical sub-expressions are computed once, and NULL
bookkeeping is emitted only where the type checker says a value can be NULL.
See the package docstring for why this back end was chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bastion.core import FieldType, SignalSchema
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
from bastion.policy._runtime import NAMESPACE
from bastion.policy._sql import to_sql
from bastion.policy._types import infer_type, is_scalar, nullable

PlanFunction = Callable[[dict[str, Any], dict[str, Any]], tuple[Any, ...]]


class _Generator:
    def __init__(self, schema: SignalSchema) -> None:
        self.schema = schema
        self.lines: list[str] = []
        self.values: dict[Expr, str] = {}
        self.nulls: dict[Expr, str | None] = {}

    def type_of(self, node: Expr) -> FieldType:
        return infer_type(node, self.schema)

    def temp(self, expression: str, prefix: str = "t") -> str:
        name = f"{prefix}{len(self.lines)}"
        self.lines.append(f"    {name} = {expression}")
        return name

    def value(self, node: Expr) -> str:
        if isinstance(node, Const):
            return _literal(node.value)
        if node not in self.values:
            self.values[node] = self.temp(self._value_expr(node))
        return self.values[node]

    def null(self, node: Expr) -> str | None:
        """An expression for where *node* is NULL, or None when it never is."""
        if not nullable(node, self.schema):
            return None
        if node not in self.nulls:
            kind = self.type_of(node)
            if kind is FieldType.NUMBER:
                expression = f"_isnan({self.value(node)})"
            elif kind is FieldType.STRING:
                v = self.value(node)
                expression = f"_B({v} is None)" if is_scalar(node) else f"_isnone({v})"
            else:
                expression = self._bool_null_expr(node)
            self.nulls[node] = self.temp(expression, "n")
        return self.nulls[node]

    def _bool_null_expr(self, node: Expr) -> str:
        match node:
            case Field(name):
                return f"n[{name!r}]"
            case Not(operand) | InList(operand):
                return _req(self.null(operand))
            case And(left, right):
                either = _or(self.null(left), self.null(right))
                false_l = self._definitely_false(left)
                false_r = self._definitely_false(right)
                return f"({either}) & ~({false_l} | {false_r})"
            case Or(left, right):
                return f"({_or(self.null(left), self.null(right))}) & ~{self.value(node)}"
            case Compare(_, left, right):
                return _or(self.null(left), self.null(right))
            case Call("coalesce", (first, second)):
                return f"{_req(self.null(first))} & {_req(self.null(second))}"
        raise AssertionError(f"no NULL rule for {node!r}")  # pragma: no cover

    def _definitely_false(self, node: Expr) -> str:
        n = self.null(node)
        v = self.value(node)
        return f"(~{v} & ~{n})" if n else f"~{v}"

    def _value_expr(self, node: Expr) -> str:
        match node:
            case Field(name):
                return f"v[{name!r}]"
            case Not(operand):
                n = self.null(operand)
                v = self.value(operand)
                return f"~{v} & ~{n}" if n else f"~{v}"
            case Neg(operand):
                return f"-{self.value(operand)}"
            case And(left, right):
                return f"{self.value(left)} & {self.value(right)}"
            case Or(left, right):
                return f"{self.value(left)} | {self.value(right)}"
            case Compare():
                return self._compare(node)
            case Arith(op, left, right):
                a, b = self.value(left), self.value(right)
                if op == "/":
                    return f"_div({a}, {b})"
                if op == "%":
                    return f"_mod({a}, {b})"
                return f"{a} {op} {b}"
            case InList(operand, values, negated):
                a = self.value(operand)
                if self.type_of(operand) is FieldType.STRING:
                    members = frozenset(str(c.value) for c in values)
                    found = (
                        f"_B({a} in {members!r})"
                        if is_scalar(operand)
                        else (f"_isin_str({a}, {members!r})")
                    )
                else:
                    found = f"_isin_num({a}, {tuple(float(c.value) for c in values)!r})"
                if not negated:
                    return found
                n = self.null(operand)
                return f"~{found} & ~{n}" if n else f"~{found}"
            case IsNull(operand, negated):
                n = self.null(operand)
                if n is None:
                    return "_TRUE" if negated else "_FALSE"
                return f"~{n}" if negated else n
            case Call(name, args):
                return self._call(name, args)
        raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover

    def _compare(self, node: Compare) -> str:
        a, b = self.value(node.left), self.value(node.right)
        kind = self.type_of(node.left)
        op = "==" if node.op == "=" else node.op
        base = f"({a} {op} {b})"
        if is_scalar(node):
            # Per-request and constant comparisons can give a Python bool, where ~True == -2.
            base = f"_B{base}"
        left_nullable = nullable(node.left, self.schema)
        right_nullable = nullable(node.right, self.schema)
        # NaN already compares False for =, <, <=, >, >=, and None == 'x' is False,
        # so only these cases need the NULL mask.
        needs_mask = (
            node.op == "!="
            or kind is FieldType.BOOL
            or (kind is FieldType.STRING and left_nullable and right_nullable)
        )
        if needs_mask and (left_nullable or right_nullable):
            return f"{base} & ~({_or(self.null(node.left), self.null(node.right))})"
        return base

    def _call(self, name: str, args: Sequence[Expr]) -> str:
        if name == "abs":
            return f"_abs({self.value(args[0])})"
        if name == "nullif":
            return f"_nullif({self.value(args[0])}, {self.value(args[1])})"
        if name in ("least", "greatest"):
            fn = "_fmin" if name == "least" else "_fmax"
            acc = self.value(args[0])
            for arg in args[1:]:
                acc = self.temp(f"{fn}({acc}, {self.value(arg)})")
            return acc
        first, *rest = args
        acc_node: Expr = first
        for arg in rest:
            acc_node = Call("coalesce", (acc_node, arg))
            if acc_node in self.values:
                continue
            self.values[acc_node] = self.temp(self._coalesce_pair(acc_node))
        return self.value(acc_node)

    def _coalesce_pair(self, node: Expr) -> str:
        assert isinstance(node, Call)
        first, second = node.args
        kind = self.type_of(first)
        a, b = self.value(first), self.value(second)
        if kind is FieldType.NUMBER:
            return f"_coalesce_num({a}, {b})"
        if kind is FieldType.STRING:
            return f"_coalesce_str({a}, {b})"
        n = self.null(first)
        return f"_coalesce_bool({a}, {n}, {b})" if n else a


def _literal(value: float | bool | str) -> str:
    if isinstance(value, bool):
        return "_TRUE" if value else "_FALSE"
    return repr(value)


def _or(a: str | None, b: str | None) -> str:
    return " | ".join(x for x in (a, b) if x) or "_FALSE"


def _req(value: str | None) -> str:
    return value or "_FALSE"


def generate(
    conditions: Sequence[tuple[str, Expr]], schema: SignalSchema
) -> tuple[str, PlanFunction]:
    """Generate the plan function for ``(rule_id, condition)`` pairs.

    Returns:
        The Python source (shown by ``bastion policy check``) and the function,
        which takes field values ``v`` and boolean NULL masks ``n`` and returns
        one boolean array (or scalar) per rule.
    """
    generator = _Generator(schema)
    results: list[str] = []
    for rule_id, condition in conditions:
        generator.lines.append(f"    # {rule_id}: {to_sql(condition)}")
        results.append(generator.value(condition))
    body = generator.lines or ["    pass"]
    returned = ", ".join(results) + ("," if len(results) == 1 else "")
    source = "def plan(v, n):\n" + "\n".join(body) + f"\n    return ({returned})\n"
    namespace = dict(NAMESPACE)
    exec(compile(source, "<bastion-plan>", "exec"), namespace)  # noqa: S102 - source is generated from a checked tree
    function: PlanFunction = namespace["plan"]
    return source, function
