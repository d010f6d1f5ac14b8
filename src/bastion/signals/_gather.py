"""Batched signal lookup: one request + a signal store -> the columns a plan reads.

One store call per entity per request (``item``, then ``creator``), then
NumPy work per field: missing values get the bundle's default where it declares
one, and the per-item "any signal missing" mask feeds the missing-signal
breaker and the ``fail_closed`` fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.core import (
    CandidateColumns,
    FieldType,
    GuardRequest,
    RequestError,
    SignalField,
    SignalStore,
    candidate_columns,
    coerce_scalar,
)

_NONE: Any = None  # numpy's stubs do not accept a literal None in np.equal
_REQUEST_ITEM_FIELDS = ("item.score", "item.rank", "item.creator_id")


@dataclass(frozen=True, slots=True)
class SlateSignals:
    """Plan inputs for one slate.

    Attributes:
        values: Field name -> array over the slate, or a scalar per request.
        nulls: Field name -> NULL mask, for nullable boolean fields.
        missing: Per item: some store signal the rules read was missing
            (before defaults were applied).
        creator_ids: Per item creator id (``None`` when unknown), when asked for.
    """

    values: dict[str, Any]
    nulls: dict[str, Any]
    missing: npt.NDArray[np.bool_]
    creator_ids: npt.NDArray[np.object_] | None


class SignalGatherer:
    """Looks up and prepares the fields of one bundle for each request.

    Args:
        fields: The fields the bundle reads (types and defaults included).
        need_creator_ids: Whether constraints need each item's creator.
    """

    def __init__(self, fields: Sequence[SignalField], *, need_creator_ids: bool = False) -> None:
        self.fields = tuple(fields)
        self.item_fields = tuple(
            f for f in fields if f.namespace == "item" and f.name not in _REQUEST_ITEM_FIELDS
        )
        self.creator_fields = tuple(f for f in fields if f.namespace == "creator")
        self.need_creator_ids = (
            need_creator_ids
            or bool(self.creator_fields)
            or any(f.name == "item.creator_id" for f in fields)
        )
        self.scalar_fields = tuple(f for f in fields if f.namespace in ("user", "request"))

    def gather(
        self,
        request: GuardRequest,
        store: SignalStore,
        columns: CandidateColumns | None = None,
    ) -> SlateSignals:
        """Build the plan inputs for *request*.

        Args:
            request: The request.
            store: Where item and creator signals are looked up.
            columns: Its candidates as columns, when the caller has built them
                (by default ``candidate_columns(request.candidates)``).

        Raises:
            RequestError: A user attribute has the wrong type for its declaration.
        """
        if columns is None:
            columns = candidate_columns(request.candidates)
        item_ids, scores = columns.item_ids, columns.scores
        size = len(item_ids)
        values: dict[str, Any] = {}
        nulls: dict[str, Any] = {}
        missing = np.zeros(size, dtype=bool)
        creator_ids: npt.NDArray[np.object_] | None = None

        item_keys = [f.key for f in self.item_fields]
        from_request: list[str | None] = []
        if self.need_creator_ids:
            from_request = columns.creator_ids
            if None in from_request and "item.creator_id" in store.schema:
                item_keys.append("creator_id")
        batch = store.lookup("item", item_ids, item_keys) if item_keys else None
        if self.need_creator_ids:
            creator_ids = np.array(from_request, dtype=object)
            if batch is not None and "creator_id" in batch.columns:
                unknown = _is_none(creator_ids)
                creator_ids[unknown] = batch.columns["creator_id"][unknown]
        if batch is not None:
            for f in self.item_fields:
                values[f.name] = _prepare(f, batch.columns[f.key], missing, nulls)
        if self.creator_fields:
            assert creator_ids is not None
            keys = [f.key for f in self.creator_fields]
            ids = ["" if c is None else str(c) for c in creator_ids]
            creator_batch = store.lookup("creator", ids, keys)
            for f in self.creator_fields:
                values[f.name] = _prepare(f, creator_batch.columns[f.key], missing, nulls)

        for f in self.fields:
            if f.name == "item.score":
                values[f.name] = scores
            elif f.name == "item.rank":
                values[f.name] = columns.ranks.astype(np.float64)
            elif f.name == "item.creator_id":
                assert creator_ids is not None
                values[f.name] = _fill_strings(creator_ids.copy(), f)
        for f in self.scalar_fields:
            value, null = _scalar(f, request)
            values[f.name] = value
            if null is not None:
                nulls[f.name] = null
        return SlateSignals(values=values, nulls=nulls, missing=missing, creator_ids=creator_ids)


def _is_none(column: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    return np.asarray(np.equal(column, _NONE), dtype=bool)


def _prepare(
    f: SignalField,
    column: npt.NDArray[Any],
    missing: npt.NDArray[np.bool_],
    nulls: dict[str, Any],
) -> Any:
    if f.type is FieldType.STRING:
        absent = _is_none(column)
        missing |= absent
        return _fill_strings(column, f, absent)
    absent = ~np.isfinite(column)
    missing |= absent
    if f.type is FieldType.NUMBER:
        if f.default is None:
            return np.where(absent, np.nan, column) if absent.any() else column
        return np.where(absent, float(f.default), column)
    present_true = np.greater(column, 0.5, where=~absent, out=np.zeros(len(column), dtype=bool))
    if f.default is None:
        nulls[f.name] = absent
        return present_true
    return np.where(absent, bool(f.default), present_true)


def _fill_strings(
    column: npt.NDArray[Any], f: SignalField, absent: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[Any]:
    if f.default is None:
        return column
    if absent is None:
        absent = _is_none(column)
    if absent.any():
        column = column.copy()
        column[absent] = f.default
    return column


def _scalar(f: SignalField, request: GuardRequest) -> tuple[Any, Any]:
    raw: object
    key = f.key
    if f.namespace == "request":
        raw = {
            "surface": request.surface,
            "slate_size": request.slate_size,
            "candidates": len(request.candidates),
            "model": request.model.name,
            "model_version": request.model.version,
        }.get(key)
    elif key == "age_band":
        raw = request.user.age_band
    elif key == "region":
        raw = request.user.region
    else:
        raw = request.user.attributes.get(key)
    try:
        value = coerce_scalar(raw, f.type)
    except ValueError as error:
        raise RequestError(f"request.user.{key}: {error}") from None
    if isinstance(value, float) and not np.isfinite(value):
        value = None
    if value is None:
        value = f.default
    if f.type is FieldType.NUMBER:
        return np.float64(np.nan if value is None else value), None
    if f.type is FieldType.BOOL:
        if value is None:
            return np.False_, np.True_
        return np.bool_(value), (np.False_ if f.default is None else None)
    return value, None
