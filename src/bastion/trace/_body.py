"""The stored form of one decision record: a msgpack body, columnar per slate.

A body holds everything ``why`` needs for one request (ranker model, input
ranks, scores and attributions, the signal values the rules read, every rule
that fired, constraint effects, breaker states, the final slate, and the
model registry's entry for the ranker when the guard checked one) and nothing
that identifies the user: the user id is replaced by a keyed HMAC before
encoding. Numeric per-item data is stored as raw NumPy bytes and fired rules
as packed bit matrices, so encoding a 500-candidate slate is a few memory
copies, not 500 objects. Bodies are encoded deterministically, so the hash of a body is a
property of its content.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from bastion.core import ACTION_BY_SEVERITY, DecisionRecord, candidate_columns
from bastion.trace._pseudonym import Pseudonymiser

BODY_VERSION = 1
ACTION_NAMES = tuple(action.value for action in ACTION_BY_SEVERITY)

SignalValue = float | bool | str | None


class BreakerEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A breaker's state when the request was decided."""

    id: str
    status: str
    value: float
    events: int
    fallback: str


class ModelEntry(msgspec.Struct, frozen=True, kw_only=True):
    """What the guard's model registry said of the ranker model (a ``ModelClearance``).

    ``entry`` (``registry:<id>@<version>``) and ``where`` (the manifest's
    ``file:line``) link the decision to the registry; both are empty for a
    model the registry does not know.
    """

    registered: bool
    may_serve: bool
    model_id: str | None = None
    entry: str | None = None
    where: str = ""
    policies: list[str] = []
    reason: str = ""


class Column(msgspec.Struct, frozen=True, kw_only=True):
    """A numeric column as raw little-endian bytes of NumPy ``dtype``."""

    dtype: str
    data: bytes

    @classmethod
    def of(cls, array: npt.NDArray[Any]) -> Column:
        """The column holding *array*."""
        return cls(dtype=array.dtype.str, data=array.tobytes())  # tobytes is C order

    def array(self) -> npt.NDArray[Any]:
        """The values (a read-only view of the bytes)."""
        return np.frombuffer(self.data, dtype=np.dtype(self.dtype))


class ItemColumns(msgspec.Struct, frozen=True, kw_only=True):
    """Per-candidate columns, in the request's order.

    ``action`` holds severities (0 allow, 1 label, 2 demote, 3 block);
    ``out_rank`` is ``-1`` for items not served; ``attributions`` is ``None``
    when no candidate carried any.
    """

    item_id: list[str]
    creator_id: list[str | None]
    rank: Column
    score: Column
    action: Column
    factor: Column
    out_rank: Column
    attributions: list[dict[str, float] | None] | None


class TraceBody(msgspec.Struct, frozen=True, kw_only=True):
    """One request's decisions, as stored in the log.

    ``fired`` and ``effective`` are the rule x candidate matrices packed with
    ``numpy.packbits`` (row-major, ``len(rule_ids)`` rows): which rules fired
    for which item, and which took effect (were not overridden).
    ``extra_rules`` and ``constraints`` map an item index to fallback notes and
    constraint ids. Item and creator signals are columns (strings as lists),
    user and request signals scalars. ``model`` is ``None`` when the guard
    checked no model registry (and in records written before it could).
    """

    version: int = BODY_VERSION
    request_id: str
    timestamp: float
    surface: str
    user_hmac: str
    age_band: str | None
    region: str | None
    user_attributes: dict[str, SignalValue]
    model_name: str
    model_version: str
    policy_version: str
    fallback: str | None
    latency_us: float
    slate_size: int
    slate: list[str]
    breakers: list[BreakerEntry]
    items: ItemColumns
    rule_ids: list[str]
    rule_labels: list[str | None]
    rule_actions: list[str]
    rule_reasons: list[str | None]
    fired: bytes
    effective: bytes
    extra_rules: list[tuple[int, list[str]]]
    constraints: list[tuple[int, list[str]]]
    signals: dict[str, Column | list[str | None] | SignalValue]
    model: ModelEntry | None = None

    def matrix(self, packed: bytes) -> npt.NDArray[np.bool_]:
        """Unpack ``fired`` or ``effective`` into a rules x candidates matrix."""
        rules, size = len(self.rule_ids), len(self.items.item_id)
        bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), count=rules * size)
        return bits.reshape(rules, size).astype(bool)


_ENCODER = msgspec.msgpack.Encoder(order="deterministic")
_DECODER = msgspec.msgpack.Decoder(TraceBody)


def build_body(record: DecisionRecord, pseudonymiser: Pseudonymiser) -> TraceBody:
    """The stored form of *record*, with the user id replaced by its HMAC."""
    request, result = record.request, record.result
    table = result.decisions
    columns = candidate_columns(request.candidates)
    user = request.user
    attributions = columns.attributions
    cleared = result.model
    return TraceBody(
        request_id=request.request_id,
        timestamp=record.timestamp,
        surface=request.surface,
        user_hmac=pseudonymiser.pseudonym(user.user_id),
        age_band=user.age_band,
        region=user.region,
        user_attributes={k: _scalar(v) for k, v in user.attributes.items()},
        model_name=request.model.name,
        model_version=request.model.version,
        policy_version=result.policy_version,
        fallback=result.fallback,
        latency_us=float(result.latency_us),
        slate_size=request.slate_size,
        slate=list(result.slate),
        breakers=[
            BreakerEntry(
                id=b.breaker_id,
                status=b.status.value,
                value=float(b.value),
                events=int(b.events),
                fallback=b.fallback,
            )
            for b in result.breakers
        ],
        items=ItemColumns(
            item_id=list(table.item_ids),
            creator_id=list(columns.creator_ids),
            rank=Column.of(_int32(columns.ranks)),
            score=Column.of(columns.scores),
            action=Column.of(table.actions.astype(np.int8, copy=False)),
            factor=Column.of(table.factors),
            out_rank=Column.of(table.out_ranks.astype(np.int32, copy=False)),
            attributions=None
            if attributions is None or not any(attributions)
            else [None if a is None else dict(a) for a in attributions],
        ),
        rule_ids=list(table.rule_ids),
        rule_labels=list(table.rule_labels),
        rule_actions=list(table.rule_actions),
        rule_reasons=list(table.rule_reasons),
        fired=np.packbits(table.fired).tobytes(),
        effective=np.packbits(table.effective).tobytes(),
        extra_rules=[(i, list(notes)) for i, notes in sorted(table.extra_rules.items())],
        constraints=[(i, list(ids)) for i, ids in sorted(table.constraint_effects.items())],
        signals={name: _signal(value) for name, value in result.signals.items()},
        model=None
        if cleared is None
        else ModelEntry(
            registered=cleared.registered,
            may_serve=cleared.may_serve,
            model_id=cleared.model_id,
            entry=cleared.entry,
            where=cleared.where,
            policies=list(cleared.policies),
            reason=cleared.reason,
        ),
    )


def encode_body(body: TraceBody) -> bytes:
    """Deterministic msgpack bytes of *body*."""
    return _ENCODER.encode(body)


def decode_body(data: bytes) -> TraceBody:
    """Decode stored bytes.

    Raises:
        msgspec.DecodeError: The bytes are not a valid body.
    """
    return _DECODER.decode(data)


def _int32(ranks: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
    """*ranks* as the int32 the log stores.

    Raises:
        OverflowError: A rank does not fit (requests decoded by the server
            and ``GuardRequest.from_dict`` cannot carry one).
    """
    narrow = ranks.astype(np.int32)
    if not np.array_equal(narrow, ranks):
        bad = int(ranks[narrow != ranks][0])
        raise OverflowError(f"rank {bad} is out of bounds for int32")
    return narrow


def _signal(value: Any) -> Column | list[str | None] | SignalValue:
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":  # cheaper than comparing with ``object``
            return value.tolist()  # type: ignore[no-any-return]
        return Column(dtype=value.dtype.str, data=value.tobytes())
    return _scalar(value)


def _scalar(value: Any) -> SignalValue:
    if isinstance(value, np.generic):
        return value.item()  # type: ignore[no-any-return]
    return value  # type: ignore[no-any-return]
