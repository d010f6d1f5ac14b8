"""Type checking of expressions against a signal schema, at load time.

Every field must exist in the schema (with a "did you mean" when it is close to
one that does), operators must fit their operand types, and a rule condition
must be boolean. Nullability is inferred here too: a field with a declared
default is never NULL, which lets the code generator skip NULL bookkeeping.
"""

from __future__ import annotations

import difflib

from bastion.core import FieldType, PolicyError, SignalSchema
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
    walk,
)

SCALAR_NAMESPACES = ("user", "request")


def const_type(value: float | bool | str) -> FieldType:
    """The type of a literal."""
    if isinstance(value, bool):
        return FieldType.BOOL
    if isinstance(value, str):
        return FieldType.STRING
    return FieldType.NUMBER


def infer_type(node: Expr, schema: SignalSchema) -> FieldType:
    """The type of *node*, or a :class:`PolicyError` saying why it has none."""
    match node:
        case Field(name):
            spec = schema.get(name)
            if spec is None:
                raise PolicyError(unknown_field_message(name, schema))
            return spec.type
        case Const(value):
            return const_type(value)
        case Not(operand):
            _expect(operand, FieldType.BOOL, "NOT", schema)
            return FieldType.BOOL
        case Neg(operand):
            _expect(operand, FieldType.NUMBER, "unary minus", schema)
            return FieldType.NUMBER
        case And(left, right) | Or(left, right):
            word = "AND" if isinstance(node, And) else "OR"
            _expect(left, FieldType.BOOL, word, schema)
            _expect(right, FieldType.BOOL, word, schema)
            return FieldType.BOOL
        case Compare(op, left, right):
            lt, rt = infer_type(left, schema), infer_type(right, schema)
            if lt is not rt:
                raise PolicyError(f"cannot compare {_show(left)} ({lt}) with {_show(right)} ({rt})")
            if lt is not FieldType.NUMBER and op not in ("=", "!="):
                raise PolicyError(f"{lt} values can only be compared with = or !=, not {op}")
            return FieldType.BOOL
        case Arith(op, left, right):
            _expect(left, FieldType.NUMBER, f"'{op}'", schema)
            _expect(right, FieldType.NUMBER, f"'{op}'", schema)
            return FieldType.NUMBER
        case InList(operand, values):
            ot = infer_type(operand, schema)
            if ot is FieldType.BOOL:
                raise PolicyError("IN is for numbers and strings; test a boolean with = or NOT")
            for member in values:
                if const_type(member.value) is not ot:
                    raise PolicyError(
                        f"IN list value {member.value!r} is not a {ot} like {_show(operand)}"
                    )
            return FieldType.BOOL
        case IsNull(operand):
            infer_type(operand, schema)
            return FieldType.BOOL
        case Call(name, args):
            types = [infer_type(a, schema) for a in args]
            if name == "coalesce":
                if len(set(types)) != 1:
                    raise PolicyError("COALESCE arguments must all have the same type")
                return types[0]
            # NULLIF, ABS, LEAST and GREATEST take numbers.
            for arg, t in zip(args, types, strict=True):
                if t is not FieldType.NUMBER:
                    raise PolicyError(f"{name.upper()} takes numbers; {_show(arg)} is a {t}")
            return FieldType.NUMBER
    raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover


def check_condition(node: Expr, schema: SignalSchema) -> None:
    """Check that *node* is a well-typed boolean condition."""
    t = infer_type(node, schema)
    if t is not FieldType.BOOL:
        raise PolicyError(f"a condition must be true or false, but this is a {t}")


def nullable(node: Expr, schema: SignalSchema) -> bool:
    """Whether *node* can evaluate to ``NULL``."""
    match node:
        case Field(name):
            spec = schema.get(name)
            return spec is None or spec.default is None
        case Const():
            return False
        case IsNull():
            return False
        case Arith(op, left, right):
            return op in ("/", "%") or nullable(left, schema) or nullable(right, schema)
        case Call("nullif", _):
            return True
        case Call(_, args):
            return all(nullable(a, schema) for a in args)
        case Not(operand) | Neg(operand) | InList(operand):
            return nullable(operand, schema)
        case And(left, right) | Or(left, right) | Compare(_, left, right):
            return nullable(left, schema) or nullable(right, schema)
    raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover


def is_scalar(node: Expr) -> bool:
    """Whether *node* reads only per-request fields (``user.*``, ``request.*``)."""
    return all(
        sub.name.split(".", 1)[0] in SCALAR_NAMESPACES
        for sub in walk(node)
        if isinstance(sub, Field)
    )


def unknown_field_message(name: str, schema: SignalSchema) -> str:
    """'unknown field' with the closest known names and how to declare one."""
    close = difflib.get_close_matches(name, schema.names(), n=3, cutoff=0.6)
    namespace = name.split(".", 1)[0]
    parts = [f"unknown field {name!r}"]
    if close:
        parts[0] += f"; did you mean {' or '.join(close)}?"
    elif same := schema.names(namespace):
        parts.append(f"Known {namespace} fields: {', '.join(same)}.")
    if namespace == "user":
        parts.append("Declare request-provided user fields under 'signals:' with a type.")
    return " ".join(parts)


def _expect(node: Expr, expected: FieldType, where: str, schema: SignalSchema) -> None:
    actual = infer_type(node, schema)
    if actual is not expected:
        raise PolicyError(f"{where} needs a {expected}, but {_show(node)} is a {actual}")


def _show(node: Expr) -> str:
    from bastion.policy._sql import to_sql

    return repr(to_sql(node))
