"""What a user would build instead of the guard: a general policy engine, per item.

The baselines evaluate the *same* compiled bundle as the guard. Each rule's
expression tree (``bundle.plan.conditions``) is translated automatically, to
CEL for :class:`CelBaseline` and to Rego for :class:`RegoBaseline`; nothing
is written by hand, so a changed bundle changes the baseline too. Around the
engine sits the plain Python a user would write: one batched lookup per
entity from the same signal store, the bundle's signal defaults, rule
precedence (``allow`` over lower priorities, then block > demote > label),
demote factors and re-rank, and the slate constraints.

Missing signals. CEL and Rego have no ``NULL``: a missing signal is an absent
map key, and every field access is guarded (``has(item.hate) && item.hate >=
0.9`` in CEL; in Rego an absent key makes the expression undefined). Each
boolean sub-expression is translated twice, as "is TRUE" and "is FALSE", so
``NOT``, ``AND`` and ``OR`` follow SQL's three-valued logic and a rule fires
exactly when its condition is TRUE. What remains an approximation of SQL
``NULL`` semantics: a non-finite arithmetic result (``inf - inf``) is not
turned into ``NULL``, ``%`` is not translated, and Rego gets no ``COALESCE``,
``LEAST`` or ``GREATEST``. The benchmark checks that the baselines' blocked,
demoted and labelled items and the served slates equal the guard's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bastion.core import (
    Action,
    FieldType,
    GuardRequest,
    GuardResult,
    SignalField,
    SignalStore,
)
from bastion.policy import Bundle, infer_type
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

Row = dict[str, Any]
CEL_ENGINES = ("cel-expr-python", "cel-python")
_NAMESPACES = ("item", "creator", "user", "request")
_FROM_REQUEST = ("item.score", "item.rank", "item.creator_id")
_SEVERITY = {Action.ALLOW: 0, Action.LABEL: 1, Action.DEMOTE: 2, Action.BLOCK: 3}
_CEL_RESERVED = frozenset(
    "as break const continue else false for function if import in let loop package "
    "namespace null return true var void while".split()
)


class UnsupportedError(Exception):
    """A condition uses something the target language has no translation for."""


# --- CEL ------------------------------------------------------------------------------


class CelTranslator:
    """Expression trees -> CEL text over the maps ``item``, ``creator``, ``user``, ``request``.

    Args:
        schema: The bundle's schema, for the types of sub-expressions.
    """

    def __init__(self, schema: Any) -> None:
        self.schema = schema

    def condition(self, node: Expr) -> str:
        """CEL that is ``true`` exactly when *node* is TRUE under SQL semantics."""
        return self.true(node)

    def true(self, node: Expr) -> str:
        """CEL for "*node* is TRUE" (a boolean node)."""
        match node:
            case Const(value):
                return "true" if value else "false"
            case Field():
                return _and(self.defined(node), self.value(node))
            case Not(operand):
                return self.false(operand)
            case And(left, right):
                return _and(self.true(left), self.true(right))
            case Or(left, right):
                return _or(self.true(left), self.true(right))
            case Call("coalesce", args):
                return self._coalesce_bool(args, self.true)
            case IsNull(operand, negated):
                return self.defined(operand) if negated else f"!{self.defined(operand)}"
        return _and(self._operands_defined(node), self._test(node))

    def false(self, node: Expr) -> str:
        """CEL for "*node* is FALSE" (a boolean node)."""
        match node:
            case Const(value):
                return "false" if value else "true"
            case Field():
                return _and(self.defined(node), f"!{self.value(node)}")
            case Not(operand):
                return self.true(operand)
            case And(left, right):
                return _or(self.false(left), self.false(right))
            case Or(left, right):
                return _and(self.false(left), self.false(right))
            case Call("coalesce", args):
                return self._coalesce_bool(args, self.false)
            case IsNull(operand, negated):
                return f"!{self.defined(operand)}" if negated else self.defined(operand)
        return _and(self._operands_defined(node), f"!{self._test(node)}")

    def defined(self, node: Expr) -> str:
        """CEL for "*node* is not NULL"."""
        if self._is_bool(node) and not isinstance(node, Field):
            return _or(self.true(node), self.false(node))
        match node:
            case Field(name):
                namespace, key = name.split(".", 1)
                if key in _CEL_RESERVED:
                    return f"({json.dumps(key)} in {namespace})"
                return f"has({name})"
            case Const():
                return "true"
            case Neg(operand) | Call("abs", (operand,)):
                return self.defined(operand)
            case Arith(op, left, right):
                nonzero = f"{self.value(right)} != 0.0" if op == "/" else "true"
                return _and(self.defined(left), self.defined(right), nonzero)
            case Call(_, args):
                return _or(*(self.defined(a) for a in args))
        raise UnsupportedError(f"no CEL for {node!r}")

    def value(self, node: Expr) -> str:
        """CEL for the value of *node*, valid where :meth:`defined` holds."""
        if self._is_bool(node) and not isinstance(node, Field | Const):
            return self.true(node)
        match node:
            case Field(name):
                namespace, key = name.split(".", 1)
                return f"{namespace}[{json.dumps(key)}]" if key in _CEL_RESERVED else name
            case Const(value):
                return _literal(value)
            case Neg(operand):
                return f"(-{self.value(operand)})"
            case Arith("%", _, _):
                raise UnsupportedError("CEL has no % on doubles")
            case Arith(op, left, right):
                return f"({self.value(left)} {op} {self.value(right)})"
            case Call("abs", (operand,)):
                v = self.value(operand)
                return f"({v} < 0.0 ? -{v} : {v})"
            case Call("coalesce", args):
                return self._pick(args, lambda a, b, _da, _db: a)
            case Call(name, args):
                sign = "<" if name == "least" else ">"
                return self._pick(args, lambda a, b, _da, _db: f"({a} {sign} {b} ? {a} : {b})")
        raise UnsupportedError(f"no CEL value for {node!r}")

    def _test(self, node: Expr) -> str:
        match node:
            case Compare(op, left, right):
                cel_op = "==" if op == "=" else op
                return f"({self.value(left)} {cel_op} {self.value(right)})"
            case InList(operand, values, negated):
                members = ", ".join(_literal(v.value) for v in values)
                found = f"({self.value(operand)} in [{members}])"
                return f"!{found}" if negated else found
        raise UnsupportedError(f"no CEL test for {node!r}")

    def _operands_defined(self, node: Expr) -> str:
        match node:
            case Compare(_, left, right):
                return _and(self.defined(left), self.defined(right))
            case InList(operand):
                return self.defined(operand)
        raise UnsupportedError(f"no CEL for {node!r}")

    def _pick(self, args: Sequence[Expr], both: Callable[[str, str, str, str], str]) -> str:
        """Fold *args* left to right, skipping NULLs (COALESCE, LEAST, GREATEST)."""
        acc_v, acc_d = self.value(args[0]), self.defined(args[0])
        for arg in args[1:]:
            v, d = self.value(arg), self.defined(arg)
            acc_v = f"({acc_d} ? ({d} ? {both(acc_v, v, acc_d, d)} : {acc_v}) : {v})"
            acc_d = _or(acc_d, d)
        return acc_v

    def _coalesce_bool(self, args: Sequence[Expr], side: Callable[[Expr], str]) -> str:
        first, *rest = args
        if not rest:
            return side(first)
        return _or(side(first), _and(f"!{self.defined(first)}", self._coalesce_bool(rest, side)))

    def _is_bool(self, node: Expr) -> bool:
        return infer_type(node, self.schema) is FieldType.BOOL


def _and(*parts: str) -> str:
    kept = [p for p in parts if p != "true"]
    if "false" in kept:
        return "false"
    return "true" if not kept else kept[0] if len(kept) == 1 else "(" + " && ".join(kept) + ")"


def _or(*parts: str) -> str:
    kept = [p for p in parts if p != "false"]
    if "true" in kept:
        return "true"
    return "false" if not kept else kept[0] if len(kept) == 1 else "(" + " || ".join(kept) + ")"


def _literal(value: float | bool | str) -> str:
    """A CEL (and Rego) literal; numbers are always doubles (``24.0``, not ``24``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(float(value))


def cel_conditions(bundle: Bundle) -> tuple[str, ...]:
    """Each rule's condition as CEL text, in bundle order."""
    translator = CelTranslator(bundle.schema)
    return tuple(translator.condition(c) for c in bundle.plan.conditions)


# --- Rego -----------------------------------------------------------------------------


class RegoTranslator:
    """Expression trees -> a Rego v1 module with ``fired[rule_key]`` = item indices.

    A body is a conjunction of literals; a disjunction becomes a helper function
    with one body per alternative. An absent key makes a literal undefined, so
    the body fails, which is how a missing signal keeps a comparison from firing.

    Args:
        schema: The bundle's schema, for the types of sub-expressions.
    """

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.helpers: list[str] = []

    def module(self, bundle: Bundle) -> str:
        """The whole module for *bundle*'s rules."""
        rules = []
        for index, condition in enumerate(bundle.plan.conditions):
            body = _body(
                ["some i, it in input.items", "cr := input.creators[i]", *self.true(condition)]
            )
            rules.append(f'fired["r{index}"] contains i if {{\n{body}\n}}')
        return "package bastion\n\n" + "\n\n".join([*rules, *self.helpers]) + "\n"

    def true(self, node: Expr) -> list[str]:
        """Body literals that all hold exactly when *node* is TRUE."""
        match node:
            case Const(value):
                return [] if value else ["false"]
            case Field():
                return [f"{self.value(node)} == true"]
            case Not(operand):
                return self.false(operand)
            case And(left, right):
                return self.true(left) + self.true(right)
            case Or(left, right):
                return [self._helper([self.true(left), self.true(right)])]
        return self._test(node, negate=False)

    def false(self, node: Expr) -> list[str]:
        """Body literals that all hold exactly when *node* is FALSE."""
        match node:
            case Const(value):
                return ["false"] if value else []
            case Field():
                return [f"{self.value(node)} == false"]
            case Not(operand):
                return self.true(operand)
            case And(left, right):
                return [self._helper([self.false(left), self.false(right)])]
            case Or(left, right):
                return self.false(left) + self.false(right)
        return self._test(node, negate=True)

    def value(self, node: Expr) -> str:
        """Rego for the value of a number or string node (undefined when NULL)."""
        match node:
            case Field(name):
                namespace, key = name.split(".", 1)
                base = {"item": "it", "creator": "cr"}.get(namespace, f"input.{namespace}")
                return f"{base}[{json.dumps(key)}]"
            case Const(value):
                return _literal(value)
            case Neg(operand):
                return f"(0 - {self.value(operand)})"
            case Arith(op, left, right) if op != "%":
                return f"({self.value(left)} {op} {self.value(right)})"
            case Call("abs", (operand,)):
                return f"abs({self.value(operand)})"
        raise UnsupportedError(f"no Rego value for {node!r}")

    def _test(self, node: Expr, *, negate: bool) -> list[str]:
        guards = [f"{self.value(d)} != 0" for d in _divisors(node)]
        match node:
            case Compare(op, left, right) if not self._is_bool(left) or isinstance(left, Field):
                rego_op = {"=": "==", "!=": "!="}.get(op, op)
                if negate:
                    rego_op = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}[
                        rego_op
                    ]
                return [*guards, f"{self.value(left)} {rego_op} {self.value(right)}"]
            case InList(operand, values, negated):
                members = ", ".join(_literal(v.value) for v in values) or ""
                literal = f"{self.value(operand)} in {{{members}}}" if members else "false"
                if negated != negate:
                    v = self.value(operand)
                    return [*guards, f"{v} == {v}", f"not {literal}"]
                return [*guards, literal]
            case IsNull(operand, negated):
                defined = self._helper(
                    [[*guards, f"{self.value(operand)} == {self.value(operand)}"]]
                )
                return [defined] if negated != negate else [f"not {defined}"]
        raise UnsupportedError(f"no Rego for {node!r}")

    def _helper(self, bodies: list[list[str]]) -> str:
        name = f"h{len(self.helpers)}"
        self.helpers.append(
            "\n".join(f"{name}(it, cr) if {{\n{_body(b or ['true'])}\n}}" for b in bodies)
        )
        return f"{name}(it, cr)"

    def _is_bool(self, node: Expr) -> bool:
        return infer_type(node, self.schema) is FieldType.BOOL


def _body(literals: Sequence[str]) -> str:
    # ";" ends each literal: a literal that starts with "(" would otherwise be
    # read as a call on the line above.
    return "\t" + ";\n\t".join(literals)


def _divisors(node: Expr) -> list[Expr]:
    found: list[Expr] = []
    stack = [node]
    while stack:
        sub = stack.pop()
        if isinstance(sub, Arith) and sub.op == "/":
            found.append(sub.right)
        if isinstance(sub, Arith | Compare):
            stack.extend((sub.left, sub.right))
        elif isinstance(sub, Neg | InList | IsNull):
            stack.append(sub.operand)
        elif isinstance(sub, Call):
            stack.extend(sub.args)
    return found


# --- Plain Python around the engine -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a path decided for one request, in the terms the benchmark compares."""

    blocked: frozenset[str]
    demoted: frozenset[str]
    labelled: frozenset[str]
    factors: tuple[tuple[str, float], ...]
    slate: tuple[str, ...]

    @classmethod
    def from_guard(cls, result: GuardResult) -> Outcome:
        """The same view of a :class:`~bastion.core.GuardResult`."""
        table = result.decisions
        ids = table.item_ids
        label_rows = [r for r, label in enumerate(table.rule_labels) if label is not None]
        labelled: list[bool] = (
            np.asarray(table.effective[label_rows].any(axis=0)).tolist() if label_rows else []
        )
        actions = table.actions.tolist()
        factors = table.factors.tolist()
        demote = _SEVERITY[Action.DEMOTE]
        return cls(
            blocked=frozenset(i for i, a in zip(ids, actions, strict=True) if a == 3),
            demoted=frozenset(i for i, a in zip(ids, actions, strict=True) if a == demote),
            labelled=frozenset(i for i, lab in zip(ids, labelled, strict=False) if lab),
            factors=tuple(
                (i, f) for i, a, f in zip(ids, actions, factors, strict=True) if a == demote
            ),
            slate=result.slate,
        )

    def agrees(self, other: Outcome) -> bool:
        """Same item sets and slate, demote factors equal to rounding."""
        return (
            self.blocked == other.blocked
            and self.demoted == other.demoted
            and self.labelled == other.labelled
            and self.slate == other.slate
            and dict(self.factors).keys() == dict(other.factors).keys()
            and all(math.isclose(f, dict(other.factors)[i], rel_tol=1e-12) for i, f in self.factors)
        )


class _PlainPolicy:
    """Lookup, defaults, precedence, re-rank and constraints, written the obvious way."""

    def __init__(self, bundle: Bundle, store: SignalStore) -> None:
        self.store = store
        fields = list(bundle.plan.fields)
        self.item_fields = [
            f for f in fields if f.namespace == "item" and f.name not in _FROM_REQUEST
        ]
        self.creator_fields = [f for f in fields if f.namespace == "creator"]
        self.request_item_fields = [f for f in fields if f.name in _FROM_REQUEST]
        self.scalar_fields = [f for f in fields if f.namespace in ("user", "request")]
        self.constraints = bundle.spec.constraints
        extra = {c.field for c in self.constraints if c.field}
        self.constraint_fields = [bundle.schema.fields[n] for n in sorted(extra)]
        self.rules = [
            (_SEVERITY[r.action], r.priority, r.action is Action.ALLOW, r.factor, r.label)
            for r in bundle.plan.rules
        ]
        self.rule_keys = [f"r{i}" for i in range(len(self.rules))]

    def inputs(self, request: GuardRequest) -> tuple[list[Row], list[Row], Row, Row, list[Any]]:
        """Per item maps for ``item`` and ``creator``, the ``user`` and ``request`` maps."""
        candidates = request.candidates
        ids = [c.item_id for c in candidates]
        size = len(ids)
        item_fields = [
            *self.item_fields,
            *(f for f in self.constraint_fields if f not in self.item_fields),
        ]
        keys = [f.key for f in item_fields]
        has_creator_ids = "item.creator_id" in self.store.schema
        batch = self.store.lookup("item", ids, [*keys, "creator_id"] if has_creator_ids else keys)
        stored = batch.columns["creator_id"].tolist() if has_creator_ids else [None] * size
        creator_ids = [
            s if c.creator_id is None else c.creator_id
            for c, s in zip(candidates, stored, strict=True)
        ]
        columns = [_python_values(f, batch.columns[f.key].tolist()) for f in item_fields]
        for f in self.request_item_fields:
            keys.append(f.key)
            if f.name == "item.score":
                columns.append([float(c.score) for c in candidates])
            elif f.name == "item.rank":
                columns.append([float(c.rank) for c in candidates])
            else:
                columns.append(_python_values(f, creator_ids))
        items = _rows(keys, columns, size)
        creator_keys = [f.key for f in self.creator_fields]
        creators: list[Row] = [{} for _ in range(size)]
        if creator_keys:
            found = self.store.lookup("creator", [c or "" for c in creator_ids], creator_keys)
            creators = _rows(
                creator_keys,
                [_python_values(f, found.columns[f.key].tolist()) for f in self.creator_fields],
                size,
            )
        user: Row = {}
        req: Row = {}
        for f in self.scalar_fields:
            value = _scalar(f, request)
            if value is not None:
                (user if f.namespace == "user" else req)[f.key] = value
        return items, creators, user, req, creator_ids

    def decide(
        self,
        request: GuardRequest,
        fired: Sequence[Sequence[bool]],
        items: list[Row],
        creator_ids: list[Any],
    ) -> Outcome:
        """Precedence, demotes, re-rank and constraints for per-item fired rules."""
        candidates = request.candidates
        blocked: set[str] = set()
        demoted: set[str] = set()
        labelled: set[str] = set()
        factors: list[tuple[str, float]] = []
        ranked: list[tuple[float, int, int]] = []
        for index, (candidate, row) in enumerate(zip(candidates, fired, strict=True)):
            allow_level = -math.inf
            for (_, priority, is_allow, _, _), hit in zip(self.rules, row, strict=True):
                if hit and is_allow and priority > allow_level:
                    allow_level = priority
            severity, factor, has_label = 0, 1.0, False
            for (level, priority, is_allow, rule_factor, label), hit in zip(
                self.rules, row, strict=True
            ):
                if not hit or is_allow or priority <= allow_level:
                    continue
                severity = max(severity, level)
                if rule_factor is not None:
                    factor *= rule_factor
                has_label = has_label or label is not None
            item_id = candidate.item_id
            if has_label:
                labelled.add(item_id)
            if severity == 3:
                blocked.add(item_id)
                continue
            score = candidate.score
            if severity == 2:
                demoted.add(item_id)
                factors.append((item_id, factor))
                score = score * factor if score >= 0 else score / factor
            ranked.append((-score, candidate.rank, index))
        ranked.sort()
        order = [index for _, _, index in ranked]
        slate = self._fill(order, request.slate_size, items, creator_ids)
        return Outcome(
            blocked=frozenset(blocked),
            demoted=frozenset(demoted),
            labelled=frozenset(labelled),
            factors=tuple(factors),
            slate=tuple(candidates[i].item_id for i in slate),
        )

    def _fill(
        self, order: list[int], size: int, items: list[Row], creator_ids: list[Any]
    ) -> list[int]:
        """Greedy fill: each position takes the best item no constraint holds back."""
        checks: list[tuple[Callable[[int], Any], int, int]] = []
        for c in self.constraints:
            if c.max_per_creator is not None and c.window is not None:
                checks.append((creator_ids.__getitem__, c.window - 1, c.max_per_creator))
            elif c.min_gap is not None and c.field is not None:
                checks.append((_field_of(items, c.field.split(".", 1)[1]), c.min_gap - 1, 1))
        slate: list[int] = []
        waiting: list[int] = []

        def fits(i: int) -> bool:
            for value_of, span, limit in checks:
                value = value_of(i)
                if value is None or span == 0:
                    continue
                if sum(1 for p in slate[-span:] if value_of(p) == value) >= limit:
                    return False
            return True

        stream = iter(order)
        while len(slate) < size:
            chosen = next((i for i in waiting if fits(i)), None)
            if chosen is not None:
                waiting.remove(chosen)
            while chosen is None:
                candidate = next(stream, None)
                if candidate is None:
                    break
                if fits(candidate):
                    chosen = candidate
                else:
                    waiting.append(candidate)
            if chosen is None:
                break
            slate.append(chosen)
        return slate


def _field_of(items: list[Row], key: str) -> Callable[[int], Any]:
    def value_of(i: int) -> Any:
        return items[i].get(key)

    return value_of


def _python_values(f: SignalField, column: list[Any]) -> list[Any]:
    """Store values -> Python values with the bundle default; ``None`` where missing."""
    default = f.default
    if f.type is FieldType.STRING:
        return [default if v is None else v for v in column]
    if f.type is FieldType.BOOL:
        return [default if v != v or v is None else v > 0.5 for v in column]
    return [v if v is not None and math.isfinite(v) else default for v in column]


def _rows(keys: list[str], columns: list[list[Any]], size: int) -> list[Row]:
    if not keys:
        return [{} for _ in range(size)]
    return [
        {k: v for k, v in zip(keys, row, strict=True) if v is not None}
        for row in zip(*columns, strict=True)
    ]


def _scalar(f: SignalField, request: GuardRequest) -> Any:
    if f.namespace == "request":
        raw: Any = {
            "surface": request.surface,
            "slate_size": float(request.slate_size),
            "candidates": float(len(request.candidates)),
            "model": request.model.name,
            "model_version": request.model.version,
        }.get(f.key)
    elif f.key in ("age_band", "region"):
        raw = getattr(request.user, f.key)
    else:
        raw = request.user.attributes.get(f.key)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = float(raw) if math.isfinite(raw) else None
    return f.default if raw is None else raw


# --- The baselines ------------------------------------------------------------------------


class CelBaseline:
    """Each rule compiled once to CEL; per item one activation and one evaluation per rule.

    Args:
        bundle: The compiled bundle the guard runs.
        store: The signal store the guard reads.
        engine: ``cel-expr-python`` (Google's C++ runtime) or ``cel-python`` (``celpy``).
        combined: Compile all rules into one list-valued program (one evaluation
            per item) instead of one program per rule.

    Raises:
        ImportError: The engine is not installed.
        UnsupportedError: A condition has no CEL translation.
    """

    def __init__(
        self,
        bundle: Bundle,
        store: SignalStore,
        *,
        engine: str = "cel-expr-python",
        combined: bool = False,
    ) -> None:
        self.engine = engine
        self.conditions = cel_conditions(bundle)
        self._plain = _PlainPolicy(bundle, store)
        texts = ["[" + ", ".join(self.conditions) + "]"] if combined else list(self.conditions)
        if engine == "cel-expr-python":
            self._evaluate = _cel_cpp(texts, combined)
        elif engine == "cel-python":
            self._evaluate = _celpy(texts, combined)
        else:
            raise ValueError(f"unknown CEL engine {engine!r}; choose from {', '.join(CEL_ENGINES)}")

    def apply(self, request: GuardRequest) -> Outcome:
        """Decide *request* the way a user of the engine would."""
        items, creators, user, req, creator_ids = self._plain.inputs(request)
        evaluate = self._evaluate
        fired = [
            evaluate({"item": item, "creator": creator, "user": user, "request": req})
            for item, creator in zip(items, creators, strict=True)
        ]
        return self._plain.decide(request, fired, items, creator_ids)


def _cel_cpp(texts: list[str], combined: bool) -> Callable[[Row], list[bool]]:
    from cel_expr_python import cel

    dyn_map = cel.Type.Map(cel.Type.STRING, cel.Type.DYN)
    env = cel.NewEnv(variables=dict.fromkeys(_NAMESPACES, dyn_map))
    programs = [env.compile(t) for t in texts]
    new_activation = env.Activation
    if combined:
        program = programs[0]

        def evaluate_all(data: Row) -> list[bool]:
            return program.eval(data=data).plain_value()  # type: ignore[no-any-return]

        return evaluate_all

    def evaluate(data: Row) -> list[bool]:
        activation = new_activation(data)
        return [p.eval(activation).value() for p in programs]

    return evaluate


def _celpy(texts: list[str], combined: bool) -> Callable[[Row], list[bool]]:
    import celpy
    from celpy.adapter import json_to_cel as to_cel

    env = celpy.Environment()
    programs = [env.program(env.compile(t)) for t in texts]
    if combined:
        program = programs[0]

        def evaluate_all(data: Row) -> list[bool]:
            result: Any = program.evaluate({k: to_cel(v) for k, v in data.items()})
            return [bool(v) for v in result]

        return evaluate_all

    def evaluate(data: Row) -> list[bool]:
        activation = {k: to_cel(v) for k, v in data.items()}
        return [bool(p.evaluate(activation)) for p in programs]

    return evaluate


class RegoBaseline:
    """The rules as one Rego module (``regopy``), queried once per slate.

    Args:
        bundle: The compiled bundle the guard runs.
        store: The signal store the guard reads.

    Raises:
        ImportError: ``regopy`` is not installed.
        UnsupportedError: A condition has no Rego translation.
    """

    def __init__(self, bundle: Bundle, store: SignalStore) -> None:
        import regopy

        self.module = RegoTranslator(bundle.schema).module(bundle)
        self._plain = _PlainPolicy(bundle, store)
        self._rego = regopy.Interpreter()
        self._rego.add_module("bastion", self.module)
        self._input = regopy.Input

    def apply(self, request: GuardRequest) -> Outcome:
        """Decide *request* with one query over the whole slate."""
        items, creators, user, req, creator_ids = self._plain.inputs(request)
        self._rego.set_input(
            self._input({"items": items, "creators": creators, "user": user, "request": req})
        )
        output = self._rego.query("data.bastion.fired")
        if not output.ok():
            raise RuntimeError(f"rego query failed: {output}")
        hits = output[0][0] if output.results and output[0].expressions else {}
        fired = [[False] * len(self._plain.rules) for _ in items]
        for rule, key in enumerate(self._plain.rule_keys):
            for i in hits.get(key, ()):
                fired[i][rule] = True
        return self._plain.decide(request, fired, items, creator_ids)
