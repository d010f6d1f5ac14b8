"""The slates a guard serves in place of the policy's: the ranker's own, or the safe pool.

Which applies follows from the open breakers (:func:`fallback_mode`): when
several are open, ``safe_pool`` wins; a stricter bundle and ``fail_closed``
combine; ``fail_open`` applies only when nothing stricter is open.

Both decide every candidate the same way (allow or block, no rule fired) and
note the cause on each one (``breaker:<id>`` or ``latency_budget``), so the
decision trace says why the policy did not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.core import BreakerStatus, CandidateColumns, DecisionTable, GuardRequest, Severity
from bastion.guard._breakers import CircuitBreaker

_BLOCK = np.int8(Severity.BLOCK)

Chosen = Sequence[int] | npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Mode:
    """Which fallbacks the open breakers call for on one request."""

    safe_pool: str | None = None
    strict: str | None = None
    fail_closed: str | None = None
    fail_open: str | None = None


def fallback_mode(breakers: Sequence[CircuitBreaker], now: float) -> Mode:
    """The fallbacks the breakers open at *now* call for (the first breaker of each kind)."""
    if not breakers:
        return Mode()
    found: dict[str, str] = {}
    for breaker in breakers:
        if breaker.status(now) is BreakerStatus.OPEN:
            fallback = breaker.spec.fallback
            found.setdefault("strict" if fallback == "strict_bundle" else fallback, breaker.spec.id)
    return Mode(
        safe_pool=found.get("safe_pool"),
        strict=found.get("strict"),
        fail_closed=found.get("fail_closed"),
        fail_open=found.get("fail_open"),
    )


def pass_through(
    request: GuardRequest, columns: CandidateColumns
) -> tuple[npt.NDArray[np.int8], Chosen, tuple[str, ...]]:
    """The ranker's own top ``slate_size``, every candidate allowed.

    Args:
        request: The request.
        columns: Its candidates (``candidate_columns(request.candidates)``).

    Returns:
        The actions, the chosen candidates' indexes in order, and the slate.
    """
    item_ids = columns.item_ids
    chosen = np.lexsort((columns.ranks, -columns.scores))[: request.slate_size]
    actions = np.zeros(len(item_ids), np.int8)
    return actions, chosen, tuple(item_ids[i] for i in chosen)


def safe_pool(
    request: GuardRequest, pool: tuple[str, ...], columns: CandidateColumns
) -> tuple[npt.NDArray[np.int8], Chosen, tuple[str, ...]]:
    """Pool items among the candidates in ranker order, then other pool items.

    Args:
        request: The request.
        pool: The safe pool's item ids.
        columns: Its candidates (``candidate_columns(request.candidates)``).

    Returns:
        The actions (candidates outside the pool blocked), the chosen
        candidates' indexes in order, and the slate.
    """
    item_ids = columns.item_ids
    pooled = set(pool)
    in_pool = [i for i, item in enumerate(item_ids) if item in pooled]
    ranks = columns.ranks.tolist()
    in_pool.sort(key=ranks.__getitem__)
    chosen = in_pool[: request.slate_size]
    offered = set(item_ids)
    extra_items = [p for p in pool if p not in offered][: request.slate_size - len(chosen)]
    actions = np.full(len(item_ids), _BLOCK, dtype=np.int8)
    actions[in_pool] = 0
    return actions, chosen, tuple(item_ids[i] for i in chosen) + tuple(extra_items)


def fallback_table(
    item_ids: list[str], actions: npt.NDArray[np.int8], chosen: Chosen, note: str
) -> DecisionTable:
    """The decisions of a fallback slate, with *note* on every candidate."""
    size = len(item_ids)
    out_ranks = np.full(size, -1, dtype=np.int32)
    out_ranks[np.asarray(chosen, dtype=np.intp)] = np.arange(len(chosen), dtype=np.int32)
    return DecisionTable(
        item_ids=item_ids,
        actions=actions,
        factors=np.ones(size),
        out_ranks=out_ranks,
        fired=np.zeros((0, size), dtype=bool),
        effective=np.zeros((0, size), dtype=bool),
        rule_ids=(),
        rule_labels=(),
        extra_rules=dict.fromkeys(range(size), (note,)),
    )
