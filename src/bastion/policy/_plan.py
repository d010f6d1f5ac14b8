"""A compiled plan: every rule of a bundle evaluated over a whole slate at once.

Precedence when several rules fire for one item (every fired rule is still
recorded):

1. An ``allow`` rule overrides the fired rules of *strictly lower* priority.
   Rules default to priority 0, so an allow rule needs a priority above 0.
2. Among the rules that remain, ``block`` > ``demote`` > ``label`` > ``allow``.
3. Demote factors of the remaining demote rules multiply
   (two ``factor: 0.5`` rules give 0.25); labels of the remaining label rules
   all attach, also to a demoted item.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.core import SEVERITY, Action, SignalField
from bastion.policy._ast import Expr
from bastion.policy._codegen import PlanFunction, generate
from bastion.policy._spec import RuleSpec

BoolMatrix = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of precedence for each item of a slate."""

    actions: npt.NDArray[np.int8]
    factors: npt.NDArray[np.float64]
    effective: BoolMatrix


@dataclass(frozen=True)
class CompiledPlan:
    """Rules compiled into one vectorised function.

    Attributes:
        rules: The rule specs, in bundle order.
        conditions: Each rule's parsed condition.
        fields: Every field the rules read, with its type and default.
        source: The generated Python source.
        sql: Each rule's condition as DuckDB SQL, for offline backtests.
    """

    rules: tuple[RuleSpec, ...]
    conditions: tuple[Expr, ...]
    fields: tuple[SignalField, ...]
    source: str
    sql: tuple[str, ...]
    function: PlanFunction = field(repr=False)
    _severity: npt.NDArray[np.int8] = field(init=False, repr=False)
    _priority: npt.NDArray[np.int64] = field(init=False, repr=False)
    _allow: npt.NDArray[np.intp] = field(init=False, repr=False)
    _demote: npt.NDArray[np.intp] = field(init=False, repr=False)
    _demote_factors: npt.NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        actions = [r.action for r in self.rules]
        set_ = object.__setattr__
        set_(self, "_severity", np.array([SEVERITY[a] for a in actions], dtype=np.int8))
        set_(self, "_priority", np.array([r.priority for r in self.rules], dtype=np.int64))
        set_(self, "_allow", np.flatnonzero([a is Action.ALLOW for a in actions]))
        demote = np.flatnonzero([a is Action.DEMOTE for a in actions])
        set_(self, "_demote", demote)
        set_(
            self,
            "_demote_factors",
            np.array([self.rules[i].factor for i in demote], dtype=np.float64)[:, None],
        )

    @functools.cached_property
    def rule_ids(self) -> tuple[str, ...]:
        """Rule ids in bundle order."""
        return tuple(r.id for r in self.rules)

    @functools.cached_property
    def labels(self) -> tuple[str | None, ...]:
        """Each rule's label (``None`` for rules that do not label)."""
        return tuple(r.label for r in self.rules)

    @functools.cached_property
    def rule_actions(self) -> tuple[str, ...]:
        """Each rule's action, in bundle order."""
        return tuple(r.action.value for r in self.rules)

    @functools.cached_property
    def rule_reasons(self) -> tuple[str | None, ...]:
        """Each rule's reason text (``None`` when it gives none)."""
        return tuple(r.reason for r in self.rules)

    def evaluate(
        self, values: Mapping[str, Any], nulls: Mapping[str, Any], size: int
    ) -> BoolMatrix:
        """Which rules fire for which item: a ``(rules, size)`` boolean matrix.

        Args:
            values: One entry per field in :attr:`fields`: arrays of length
                *size* for ``item.*`` / ``creator.*`` fields, scalars for
                ``user.*`` / ``request.*``.
            nulls: Where each nullable boolean field is ``NULL``.
            size: Number of items in the slate.
        """
        fired = np.empty((len(self.rules), size), dtype=bool)
        if self.rules:
            with np.errstate(all="ignore"):
                results = self.function(dict(values), dict(nulls))
            for row, result in enumerate(results):
                fired[row] = result
        return fired

    def resolve(self, fired: BoolMatrix) -> Resolution:
        """Apply precedence to a fired matrix (see the module docstring)."""
        size = fired.shape[1]
        if self._allow.size:
            allow_level = np.where(
                fired[self._allow], self._priority[self._allow, None], np.iinfo(np.int64).min
            ).max(axis=0)
            effective = fired & (self._priority[:, None] >= allow_level[None, :])
            effective[self._allow] = False
        else:
            effective = fired
        if len(self.rules):
            actions = (effective * self._severity[:, None]).max(axis=0).astype(np.int8)
        else:
            actions = np.zeros(size, dtype=np.int8)
        if self._demote.size:
            factors = np.where(effective[self._demote], self._demote_factors, 1.0).prod(axis=0)
        else:
            factors = np.ones(size, dtype=np.float64)
        return Resolution(actions=actions, factors=factors, effective=effective)


def compile_plan(
    rules: tuple[RuleSpec, ...],
    conditions: tuple[Expr, ...],
    fields: tuple[SignalField, ...],
    schema: Any,
) -> CompiledPlan:
    """Generate the plan function for already type-checked conditions."""
    from bastion.policy._sql import to_sql

    source, function = generate(list(zip((r.id for r in rules), conditions, strict=True)), schema)
    return CompiledPlan(
        rules=rules,
        conditions=conditions,
        fields=fields,
        source=source,
        sql=tuple(to_sql(c) for c in conditions),
        function=function,
    )
