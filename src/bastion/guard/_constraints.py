"""Slate constraints: creator caps within a window, and minimum gaps.

Filling is greedy in the guard's preference order: each position takes the
most preferred remaining item that breaks no constraint; an item that would
break one is deferred and tried again at later positions. If nothing left
fits, the slate ends short rather than break a constraint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.policy import ConstraintSpec


@dataclass(frozen=True, slots=True)
class _Rule:
    constraint_id: str
    key: str  # "creator" or an item field name
    span: int  # how many previous positions to look back over
    limit: int  # how many items sharing the value the span may already hold


def compile_constraints(specs: Sequence[ConstraintSpec]) -> tuple[_Rule, ...]:
    """Turn constraint specs into look-back rules."""
    rules = []
    for spec in specs:
        if spec.max_per_creator is not None:
            assert spec.window is not None
            rules.append(_Rule(spec.id, "creator", spec.window - 1, spec.max_per_creator - 1))
        else:
            assert spec.min_gap is not None and spec.field is not None
            rules.append(_Rule(spec.id, spec.field, spec.min_gap - 1, 0))
    return tuple(rules)


def fill_slate(
    order: npt.NDArray[np.intp],
    slate_size: int,
    rules: Sequence[_Rule],
    keys: Mapping[str, Any],
) -> tuple[list[int], dict[int, tuple[str, ...]]]:
    """Choose the slate from candidate indices in preference order.

    Args:
        order: Candidate indices, most preferred first (blocked ones removed).
        slate_size: Positions to fill.
        rules: Compiled constraints.
        keys: For each rule key, an array over candidates of the value that
            must not repeat (``None`` never counts as a repeat).

    Returns:
        The chosen candidate indices in slate order, and for each candidate
        that a constraint deferred, the ids of the constraints that did.
    """
    if not rules:
        return [int(i) for i in order[:slate_size]], {}
    columns = [(rule, keys[rule.key]) for rule in rules]
    placed: list[int] = []
    deferred: list[int] = []
    notes: dict[int, tuple[str, ...]] = {}

    def blocking(candidate: int) -> str | None:
        for rule, column in columns:
            value = column[candidate]
            if value is None or (isinstance(value, float) and value != value):
                continue
            recent = placed[-rule.span :] if rule.span else []
            if sum(1 for p in recent if column[p] == value) > rule.limit:
                return rule.constraint_id
        return None

    stream = iter(int(i) for i in order)
    while len(placed) < slate_size:
        chosen = None
        for position, candidate in enumerate(deferred):
            if blocking(candidate) is None:
                chosen = deferred.pop(position)
                break
        while chosen is None:
            pulled = next(stream, None)
            if pulled is None:
                break
            reason = blocking(pulled)
            if reason is None:
                chosen = pulled
            else:
                deferred.append(pulled)
                notes[pulled] = (*notes.get(pulled, ()), reason)
        if chosen is None:
            break
        placed.append(chosen)
    return placed, notes
