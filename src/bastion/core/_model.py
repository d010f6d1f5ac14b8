"""The typed records that cross plane boundaries (DESIGN.md, core contracts).

Inputs are frozen, slotted dataclasses. Per-candidate decisions are kept as
columns in a :class:`DecisionTable` and turned into :class:`Decision` records
only when read, because building 500 objects per request would cost more than
the whole policy evaluation (about 0.4 ms against 0.1 ms, measured here).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from bastion.core._clearance import ModelClearance
from bastion.core._errors import RequestError

Scalar = float | bool | str


class Action(StrEnum):
    """What the guard does to one item; see :data:`SEVERITY` for precedence."""

    ALLOW = "allow"
    LABEL = "label"
    DEMOTE = "demote"
    BLOCK = "block"


class Severity(IntEnum):
    """Numeric severity of each action: block > demote > label > allow."""

    ALLOW = 0
    LABEL = 1
    DEMOTE = 2
    BLOCK = 3


ACTION_BY_SEVERITY: tuple[Action, ...] = (Action.ALLOW, Action.LABEL, Action.DEMOTE, Action.BLOCK)
SEVERITY: Mapping[Action, int] = MappingProxyType({a: i for i, a in enumerate(ACTION_BY_SEVERITY)})


@dataclass(frozen=True, slots=True)
class ModelRef:
    """The ranker model that produced a slate."""

    name: str
    version: str = ""


@dataclass(frozen=True, slots=True)
class UserContext:
    """Policy-relevant facts about the requesting user; never raw identity.

    Attributes:
        user_id: A pseudonymous id (the trace log stores only a keyed hash of it).
        age_band: For example ``13-17``; ``None`` when unknown.
        region: For example an ISO country code; ``None`` when unknown.
        attributes: Other attributes a bundle may declare as ``user.*`` signals.
            Attributes that no rule reads are ignored.
    """

    user_id: str = ""
    age_band: str | None = None
    region: str | None = None
    attributes: Mapping[str, Scalar | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One item the ranker proposes.

    Attributes:
        item_id: The item.
        score: The ranker's score; higher is better. Must be finite.
        rank: The ranker's 0-based position.
        creator_id: The item's creator when the ranker knows it; otherwise the
            guard reads ``item.creator_id`` from the signal store.
        attributions: The ranker's own per-signal contributions to ``score``.
    """

    item_id: str
    score: float
    rank: int = 0
    creator_id: str | None = None
    attributions: Mapping[str, float] | None = None


@dataclass(frozen=True, slots=True)
class GuardRequest:
    """A ranked slate to make safe for one user request.

    ``candidates`` is any sequence of :class:`Candidate`: a list, or the
    :class:`~bastion.core.CandidateColumns` the server decodes (equal to the
    list of the same candidates, so requests compare alike either way).
    """

    request_id: str
    candidates: Sequence[Candidate]
    slate_size: int
    user: UserContext = field(default_factory=UserContext)
    surface: str = "feed"
    model: ModelRef = field(default_factory=lambda: ModelRef("unknown"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GuardRequest:
        """Build a request from JSON-like data, naming the field that is wrong.

        Raises:
            RequestError: A required field is missing or has the wrong type.
        """
        if not isinstance(data, Mapping):
            raise RequestError("request: expected a JSON object")
        unknown = set(data) - {"request_id", "candidates", "slate_size", "user", "surface", "model"}
        if unknown:
            raise RequestError(f"request: unknown field(s) {', '.join(sorted(unknown))}")
        request_id = _typed(data, "request_id", str, "request")
        slate_size = _typed(data, "slate_size", int, "request")
        raw_candidates = data.get("candidates")
        if not isinstance(raw_candidates, list):
            raise RequestError("request.candidates: expected a list of candidates")
        candidates = [_candidate(c, i) for i, c in enumerate(raw_candidates)]
        user_data = data.get("user", {})
        if not isinstance(user_data, Mapping):
            raise RequestError("request.user: expected an object")
        model_data = data.get("model", {"name": "unknown"})
        if not isinstance(model_data, Mapping):
            raise RequestError("request.model: expected an object with name and version")
        return cls(
            request_id=request_id,
            candidates=candidates,
            slate_size=slate_size,
            user=_user(user_data),
            surface=_typed(data, "surface", str, "request", default="feed"),
            model=ModelRef(
                name=_typed(model_data, "name", str, "request.model", default="unknown"),
                version=_typed(model_data, "version", str, "request.model", default=""),
            ),
        )


_KIND_NAMES: dict[object, str] = {
    str: "str (a string)",
    int: "int (an integer)",
    float: "float (a number)",
    str | None: "a string or null",
}


def _typed(data: Mapping[str, Any], key: str, kind: type, where: str, default: Any = ...) -> Any:
    if key not in data:
        if default is ...:
            raise RequestError(f"{where}.{key}: required field is missing")
        return default
    value = data[key]
    if kind is int and isinstance(value, bool):
        raise RequestError(f"{where}.{key}: expected an integer, got {value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind):
        raise RequestError(
            f"{where}.{key}: expected {_KIND_NAMES.get(kind, 'a value')}, got {value!r}"
        )
    return value


MAX_INT32 = 2**31 - 1
"""Largest rank and slate size a request may carry (what the decision log stores)."""


def _bounded(value: int, where: str, low: int) -> int:
    if not low <= value <= MAX_INT32:
        raise RequestError(f"{where}: {value} is out of range ({low} to {MAX_INT32})")
    return value


def _candidate(data: object, index: int) -> Candidate:
    where = f"request.candidates[{index}]"
    if not isinstance(data, Mapping):
        raise RequestError(f"{where}: expected an object")
    attributions = data.get("attributions")
    if attributions is not None and (
        not isinstance(attributions, Mapping)
        or not all(
            isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
            for k, v in attributions.items()
        )
    ):
        raise RequestError(f"{where}.attributions: expected an object of numbers")
    creator_id = data.get("creator_id")
    if creator_id is not None and not isinstance(creator_id, str):
        raise RequestError(f"{where}.creator_id: expected a string")
    return Candidate(
        item_id=_typed(data, "item_id", str, where),
        score=_typed(data, "score", float, where),
        rank=_bounded(
            _typed(data, "rank", int, where, default=index), f"{where}.rank", -MAX_INT32 - 1
        ),
        creator_id=creator_id,
        attributions=None
        if attributions is None
        else {k: float(v) for k, v in attributions.items()},
    )


def _user(data: Mapping[str, Any]) -> UserContext:
    attributes: dict[str, Scalar | None] = {}
    for key, value in data.items():
        if key in ("user_id", "age_band", "region"):
            continue
        if value is not None and not isinstance(value, str | int | float | bool):
            raise RequestError(f"request.user.{key}: expected a string, number or boolean")
        attributes[key] = value
    return UserContext(
        user_id=_typed(data, "user_id", str, "request.user", default=""),
        age_band=_typed(data, "age_band", str | None, "request.user", default=None),  # type: ignore[arg-type]
        region=_typed(data, "region", str | None, "request.user", default=None),  # type: ignore[arg-type]
        attributes=attributes,
    )


@dataclass(frozen=True, slots=True)
class Decision:
    """What the guard decided for one candidate, and why.

    Attributes:
        item_id: The candidate.
        action: The winning action after precedence.
        factor: Score multiplier applied by demotes (1.0 when not demoted).
        rules: Every rule that fired for the item, in bundle order, including
            rules an allow rule overrode and ``breaker:<id>`` for fallbacks.
        out_rank: 0-based position in the safe slate; ``None`` when not served.
        labels: Labels attached by label rules that took effect.
        constraints: Constraints that moved the item or kept it out of the slate.
    """

    item_id: str
    action: Action
    factor: float = 1.0
    rules: tuple[str, ...] = ()
    out_rank: int | None = None
    labels: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """One line of plain language for logs and tables."""
        why = ", ".join(self.rules) if self.rules else "no rule fired"
        where = "not served" if self.out_rank is None else f"position {self.out_rank}"
        extra = f"; constraints: {', '.join(self.constraints)}" if self.constraints else ""
        return f"{self.action.value} ({why}); {where}{extra}"


BoolMatrix = npt.NDArray[np.bool_]


class DecisionTable(Sequence[Decision]):
    """Per-candidate decisions in input order, stored as columns.

    Indexing or iterating yields :class:`Decision` records; the columns are
    available for bulk consumers (the trace log, metrics) without building them.
    """

    __slots__ = (
        "_extra_rules",
        "_constraints",
        "actions",
        "effective",
        "factors",
        "fired",
        "item_ids",
        "out_ranks",
        "rule_actions",
        "rule_ids",
        "rule_labels",
        "rule_reasons",
    )

    def __init__(
        self,
        *,
        item_ids: Sequence[str],
        actions: npt.NDArray[np.int8],
        factors: npt.NDArray[np.float64],
        out_ranks: npt.NDArray[np.int32],
        fired: BoolMatrix,
        effective: BoolMatrix,
        rule_ids: Sequence[str],
        rule_labels: Sequence[str | None],
        extra_rules: Mapping[int, tuple[str, ...]] | None = None,
        constraints: Mapping[int, tuple[str, ...]] | None = None,
        rule_actions: Sequence[str] = (),
        rule_reasons: Sequence[str | None] = (),
    ) -> None:
        for array in (actions, factors, out_ranks, fired, effective):
            array.flags.writeable = False
        self.item_ids = item_ids
        self.actions = actions
        self.factors = factors
        self.out_ranks = out_ranks
        self.fired = fired
        self.effective = effective
        self.rule_ids = tuple(rule_ids)
        self.rule_labels = tuple(rule_labels)
        self.rule_actions = tuple(rule_actions)
        self.rule_reasons = tuple(rule_reasons)
        self._extra_rules = dict(extra_rules or {})
        self._constraints = dict(constraints or {})

    def __len__(self) -> int:
        return len(self.item_ids)

    @overload
    def __getitem__(self, index: int) -> Decision: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Decision]: ...
    def __getitem__(self, index: int | slice) -> Decision | Sequence[Decision]:
        if isinstance(index, slice):
            return [self._decision(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._decision(index)

    def __iter__(self) -> Iterator[Decision]:
        return (self._decision(i) for i in range(len(self)))

    @property
    def extra_rules(self) -> Mapping[int, tuple[str, ...]]:
        """Candidate index -> notes beyond bundle rules (``breaker:<id>``, ``latency_budget``)."""
        return MappingProxyType(self._extra_rules)

    @property
    def constraint_effects(self) -> Mapping[int, tuple[str, ...]]:
        """Candidate index -> constraints that moved the item or kept it out."""
        return MappingProxyType(self._constraints)

    def by_item(self) -> dict[str, Decision]:
        """Decisions keyed by item id."""
        return {d.item_id: d for d in self}

    def counts(self) -> dict[Action, int]:
        """How many candidates got each action."""
        values = np.bincount(self.actions, minlength=len(ACTION_BY_SEVERITY))
        return {action: int(values[i]) for i, action in enumerate(ACTION_BY_SEVERITY)}

    def _decision(self, i: int) -> Decision:
        fired_rows = np.flatnonzero(self.fired[:, i]) if self.fired.size else ()
        rules = tuple(self.rule_ids[r] for r in fired_rows) + self._extra_rules.get(i, ())
        labels = tuple(
            label
            for r in (np.flatnonzero(self.effective[:, i]) if self.effective.size else ())
            if (label := self.rule_labels[r]) is not None
        )
        out_rank = int(self.out_ranks[i])
        return Decision(
            item_id=self.item_ids[i],
            action=ACTION_BY_SEVERITY[int(self.actions[i])],
            factor=float(self.factors[i]),
            rules=rules,
            out_rank=None if out_rank < 0 else out_rank,
            labels=labels,
            constraints=self._constraints.get(i, ()),
        )


class BreakerStatus(StrEnum):
    """Circuit-breaker states."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerState:
    """A breaker's state as seen by one request.

    Attributes:
        breaker_id: The breaker.
        status: Closed, open or half-open.
        value: The watched value over the breaker's window (a rate or a PSI).
        events: How many events the window holds.
        fallback: The fallback the breaker applies while open.
    """

    breaker_id: str
    status: BreakerStatus
    value: float
    events: int
    fallback: str


@dataclass(frozen=True, slots=True)
class GuardResult:
    """The safe slate for one request, with a decision for every candidate.

    Attributes:
        request_id: Echoed from the request.
        slate: Item ids to serve, in order.
        decisions: One decision per candidate, in the request's order.
        breakers: Every breaker's state when the request was decided.
        policy_version: Hash of the bundle that decided.
        fallback: The fallback applied (``safe_pool``, ``fail_closed``,
            ``fail_open``, ``strict_bundle:<name>``), or ``None``.
        latency_us: Time spent in ``Guard.apply``.
        signals: The signal values the rules read: one array per item or
            creator field (in candidate order), a scalar per user or request field.
        model: What the guard's model registry said of the ranker model the
            request named; ``None`` when the guard checks no registry.
    """

    request_id: str
    slate: tuple[str, ...]
    decisions: DecisionTable
    breakers: tuple[BreakerState, ...]
    policy_version: str
    fallback: str | None
    latency_us: float
    signals: Mapping[str, Any] = field(default_factory=dict)
    model: ModelClearance | None = None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """What the trace log stores for one request."""

    request: GuardRequest
    result: GuardResult
    timestamp: float
    prev_hash: str = ""


def validate_request(
    request: GuardRequest, item_ids: Sequence[str], scores: npt.NDArray[np.float64]
) -> None:
    """Refuse requests the guard cannot decide, naming the problem.

    Args:
        request: The request.
        item_ids: Its candidates' item ids, in order.
        scores: Its candidates' scores, in order.

    Raises:
        RequestError: Non-positive slate size, duplicate item ids, or a
            non-finite score.
    """
    if request.slate_size < 1:
        raise RequestError(f"request {request.request_id!r}: slate_size must be at least 1")
    if request.slate_size > MAX_INT32:
        raise RequestError(
            f"request {request.request_id!r}: slate_size must be at most {MAX_INT32}"
        )
    if len(set(item_ids)) != len(item_ids):
        seen: dict[str, int] = {}
        for position, item_id in enumerate(item_ids):
            if item_id in seen:
                raise RequestError(
                    f"request {request.request_id!r}: duplicate item id {item_id!r} at "
                    f"candidates {seen[item_id]} and {position}"
                )
            seen[item_id] = position
    if not np.isfinite(scores).all():
        bad = int(np.flatnonzero(~np.isfinite(scores))[0])
        raise RequestError(
            f"request {request.request_id!r}: candidate {bad} ({item_ids[bad]!r}) has a "
            f"non-finite score ({scores[bad]})"
        )
