"""The columns of one entity (``item`` or ``creator``) and how readers and a writer share them.

Concurrency, in short (the store's docstring has the why):

* One writer at a time: the store serialises ``put`` with its write lock.
* Readers never take that lock. They read a version counter, take the
  published :class:`TableState`, gather, and read the counter again; if it moved
  (or was odd) a write window overlapped and they retry, after
  ``_OPTIMISTIC_TRIES`` under the window lock, which a writer holds only while
  it overwrites existing rows or publishes a new state.
* New rows are written past the published row count (or into fresh arrays when
  growing), where no reader looks, before they are published; their ids enter
  the index only after that.

Ids: an immutable :class:`~bastion.stores._index.IdIndex` of NumPy arrays holds
most of them; ids put since it was built sit in a ``dict``, the *delta*, which
lookups consult for the ids the index does not hold. Once the delta has
``_MERGE_AT`` ids (or a put brings that many new ones), the writer builds a new
index of both and publishes it, with a new delta, in the same state as the rows:
a reader takes one state and sees one consistent (rows, columns, index, delta).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.core import Entity, FieldType, SignalBatch, SignalField, SignalStoreError
from bastion.stores import _arrays
from bastion.stores._columns import MISSING_CODE, Encoded
from bastion.stores._index import IdArray, IdIndex

# Lock-free reads rely on the GIL ordering plain stores; without it, always lock.
_OPTIMISTIC_TRIES = 3 if getattr(sys, "_is_gil_enabled", lambda: True)() else 0
# Existing rows are overwritten in windows of this many rows, so that a reader
# blocked behind a large update waits for one window (~1 ms), not the whole put.
_WINDOW_ROWS = 65_536
_MIN_CAPACITY = 16
# Ids put since the index was built wait in the delta dict until there are this
# many; then a new index is built (~80 ms at 1M ids), so the delta holds at most
# ~10 MB and a rebuild is amortised over 65k new ids.
_MERGE_AT = 65_536
_EMPTY_INDEX = IdIndex.empty()

ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class Column:
    """One column's storage, as published to readers.

    ``values`` has ``capacity + 1`` slots: the last one always holds the missing
    value (``NaN``, or code ``-1``), so that row ``-1`` (an unknown id) reads as
    missing without a mask. ``categories`` (string columns only) ends with
    ``None`` for the same reason: code ``-1`` decodes to ``None``.
    """

    type: FieldType
    values: npt.NDArray[Any]
    categories: ObjectArray | None = None


@dataclass(frozen=True, slots=True)
class TableState:
    """What readers see: the published row count, capacity, columns and ids.

    ``index`` never changes; ``delta`` (id -> row) only grows, and only by ids
    whose rows are already published, until a state with a new index and a new
    delta replaces this one.
    """

    n: int = 0
    capacity: int = 0
    columns: Mapping[str, Column] = field(default_factory=dict)
    index: IdIndex = _EMPTY_INDEX
    delta: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntityData:
    """The plain contents of one entity, as written to and read from a snapshot.

    ``ids`` holds the id of each row as zero-padded UTF-8, except for the ids
    ending with NUL, which such bytes cannot hold: ``apart`` maps their rows to
    them.
    ``arrays`` holds exactly one value (or code) per id; ``categories`` the
    category strings of each string column, in code order. ``index`` (the
    index and its delta), when the reader has already built it to check that
    ids are unique, saves building it twice.
    """

    ids: IdArray
    apart: dict[int, str]
    fields: list[SignalField]
    arrays: dict[str, npt.NDArray[Any]]
    categories: dict[str, list[str]]
    index: tuple[IdIndex, dict[str, int]] | None = None


def _missing(ftype: FieldType) -> float | int:
    return MISSING_CODE if ftype is FieldType.STRING else np.nan


def _dtype(ftype: FieldType) -> type[np.generic]:
    return np.int32 if ftype is FieldType.STRING else np.float64


def _resized(values: npt.NDArray[Any], n: int, capacity: int, fill: float) -> npt.NDArray[Any]:
    out = _arrays.full(capacity + 1, fill, values.dtype)
    out[:n] = values[:n]
    return out


def _objects(strings: Sequence[str]) -> ObjectArray:
    # Not np.array(strings): that goes through a fixed-width unicode array,
    # which drops trailing NUL characters.
    return np.fromiter(strings, dtype=object, count=len(strings))


def _empty_column(ftype: FieldType, capacity: int) -> Column:
    values = _arrays.full(capacity + 1, _missing(ftype), _dtype(ftype))
    categories = np.full(1, None, dtype=object) if ftype is FieldType.STRING else None
    return Column(ftype, values, categories)


class Table:
    """Rows of one entity: an id -> row index plus one array per column."""

    def __init__(self, entity: Entity) -> None:
        self.entity: Entity = entity
        self.state = TableState()
        self.version = 0
        self.window_lock = threading.Lock()
        self.fields: dict[str, SignalField] = {}
        # Writer-side only: the code of each category of each string column.
        self.codes: dict[str, dict[str, int]] = {}
        self._all_known = True  # a hint for the next lookup; races on it are harmless

    # -- reading ----------------------------------------------------------------

    def lookup(self, ids: Sequence[str], keys: Sequence[str]) -> SignalBatch:
        """Gather *keys* for *ids*; see the module docstring for the protocol."""
        for _ in range(_OPTIMISTIC_TRIES):
            version = self.version
            if version & 1:
                continue
            state = self.state
            try:
                rows, raw = self._gather(state, ids, keys)
            except IndexError:  # a stale state met a row of a put in progress
                continue
            if self.version == version:
                return self._batch(ids, rows, raw)
        with self.window_lock:
            rows, raw = self._gather(self.state, ids, keys)
        return self._batch(ids, rows, raw)

    def _gather(
        self, state: TableState, ids: Sequence[str], keys: Sequence[str]
    ) -> tuple[npt.NDArray[np.intp], list[tuple[str, Column, npt.NDArray[Any]]]]:
        columns = state.columns
        picked = [(key, columns.get(key)) for key in keys]
        rows = self._rows(state, ids)
        raw: list[tuple[str, Column, npt.NDArray[Any]]] = []
        for key, column in picked:
            if column is None:
                raise self._unknown_key(key, columns)
            raw.append((key, column, column.values[rows]))
        return rows, raw

    def _rows(self, state: TableState, ids: Sequence[str]) -> npt.NDArray[np.intp]:
        """The row of each of *ids* in *state*, ``-1`` for an unknown id."""
        delta = state.delta
        if not state.index.size:  # a small table: all ids are in the delta
            return self._rows_in(delta, ids)
        rows = state.index.find(ids)
        if delta:
            unknown = rows < 0
            if np.count_nonzero(unknown):
                get = delta.get
                missing = np.flatnonzero(unknown).tolist()
                rows[missing] = [get(ids[i], -1) for i in missing]
        return rows

    def _rows_in(self, delta: dict[str, int], ids: Sequence[str]) -> npt.NDArray[np.intp]:
        count = len(ids)
        got: tuple[int, ...] | None = None
        # itemgetter over the whole slate beats dict.get per id by ~30% (1M ids,
        # a new 500-id slate per call: ~140 us vs ~195 us; hot cache: 13 vs 19 us)
        # but fails on the first unknown id, so after a failure use get until a
        # slate comes back complete. The row list is built before NumPy sees it:
        # np.fromiter over the lazy map interleaves NumPy work with the dict
        # probes and is 1.7x slower with a cold cache.
        if self._all_known and count > 1:
            try:
                got = itemgetter(*ids)(delta)
            except KeyError:
                self._all_known = False
        if got is not None:
            return np.fromiter(got, dtype=np.intp, count=count)
        rows = np.fromiter(list(map(delta.get, ids, repeat(-1))), dtype=np.intp, count=count)
        if count > 1 and not self._all_known and rows.min() >= 0:
            self._all_known = True
        return rows

    def _batch(
        self,
        ids: Sequence[str],
        rows: npt.NDArray[np.intp],
        raw: list[tuple[str, Column, npt.NDArray[Any]]],
    ) -> SignalBatch:
        columns: dict[str, npt.NDArray[np.generic]] = {}
        for key, column, values in raw:
            if column.categories is None:
                columns[key] = values
            else:
                columns[key] = column.categories[values]
        return SignalBatch(self.entity, tuple(ids), columns, rows >= 0)

    def _unknown_key(self, key: str, columns: Mapping[str, Column]) -> SignalStoreError:
        known = ", ".join(f"{self.entity}.{k}" for k in sorted(columns)) or "no fields"
        return SignalStoreError(f"store has no field {self.entity}.{key}; it has: {known}")

    # -- writing (the caller holds the store's write lock) -----------------------

    def declare(self, signal_field: SignalField) -> None:
        """Add an empty column for *signal_field* (before any reader exists)."""
        key = signal_field.key
        self.fields[key] = signal_field
        if signal_field.type is FieldType.STRING:
            self.codes[key] = {}
        columns = dict(self.state.columns)
        columns[key] = _empty_column(signal_field.type, self.state.capacity)
        self.state = replace(self.state, columns=columns)

    def write(self, ids: Sequence[str], encoded: Mapping[str, Encoded]) -> None:
        """Insert or update the rows of *ids* (distinct) with already validated columns."""
        state = self.state
        rows = self._rows(state, ids)
        is_new = rows < 0
        new_ids = [i for i, new in zip(ids, is_new.tolist(), strict=True) if new]
        n0 = state.n
        n1 = n0 + len(new_ids)
        existing_pos = np.flatnonzero(~is_new)
        existing_rows = rows[existing_pos]

        columns, private, capacity = self._prepare_columns(state, n1, encoded)
        in_place: list[tuple[npt.NDArray[Any], npt.NDArray[Any]]] = []
        for key, enc in encoded.items():
            target = columns[key].values
            target[n0:n1] = enc.values[is_new]  # past the published rows: unseen
            if key in private:
                target[existing_rows] = enc.values[existing_pos]
            elif len(existing_rows):
                in_place.append((target, enc.values[existing_pos]))

        index, delta = state.index, state.delta
        merge = len(delta) - index.pinned + len(new_ids) >= _MERGE_AT
        if merge:  # a new index of the delta and the new ids, published with their rows
            added = np.concatenate(
                [np.fromiter(delta.values(), dtype=np.intp, count=len(delta)), np.arange(n0, n1)]
            )
            index, delta = index.merged([*delta, *new_ids], added, n1)
        publish = TableState(n1, capacity, columns, index, delta)
        self._overwrite(existing_rows, in_place, 0, publish)
        for start in range(_WINDOW_ROWS, len(existing_rows) if in_place else 0, _WINDOW_ROWS):
            self._overwrite(existing_rows, in_place, start, None)
        if not merge:
            delta.update(zip(new_ids, range(n0, n1), strict=True))

    def _overwrite(
        self,
        rows: npt.NDArray[np.intp],
        in_place: list[tuple[npt.NDArray[Any], npt.NDArray[Any]]],
        start: int,
        publish: TableState | None,
    ) -> None:
        """Overwrite one window of existing rows (and publish *publish*) with readers fenced off."""
        stop = start + _WINDOW_ROWS
        window = rows[start:stop]
        with self.window_lock:
            self.version += 1
            try:
                for target, values in in_place:
                    target[window] = values[start:stop]
                if publish is not None:
                    self.state = publish
            finally:
                self.version += 1

    def _prepare_columns(
        self, state: TableState, n1: int, encoded: Mapping[str, Encoded]
    ) -> tuple[dict[str, Column], set[str], int]:
        """Columns for the next state, the names of those readers cannot see yet, capacity."""
        columns = dict(state.columns)
        private: set[str] = set()
        capacity = state.capacity
        if n1 > capacity:
            capacity = max(capacity * 2, _MIN_CAPACITY)
            while capacity < n1:
                capacity *= 2
            for key, column in state.columns.items():
                fill = _missing(column.type)
                values = _resized(column.values, state.n, capacity, fill)
                columns[key] = replace(column, values=values)
                private.add(key)
        for key, enc in encoded.items():
            existing = columns.get(key)
            if existing is None:
                column = columns[key] = _empty_column(enc.type, capacity)
                private.add(key)
                self.fields[key] = SignalField(f"{self.entity}.{key}", enc.type)
                if enc.type is FieldType.STRING:
                    self.codes[key] = {}
            else:
                column = existing
            if enc.new_categories:
                columns[key] = self._add_categories(key, column, enc.new_categories)
        return columns, private, capacity

    def _add_categories(self, key: str, column: Column, new: tuple[str, ...]) -> Column:
        assert column.categories is not None
        codes = self.codes[key]
        used = len(codes)
        categories = column.categories
        if used + len(new) > len(categories) - 1:  # the last slot stays None
            size = max(2 * (len(categories) - 1), used + len(new), _MIN_CAPACITY)
            grown = np.full(size + 1, None, dtype=object)
            grown[:used] = categories[:used]
            categories = grown
        # Slots past `used` are referenced by no published code yet: safe to fill.
        categories[used : used + len(new)] = _objects(new)
        codes.update(zip(new, range(used, used + len(new)), strict=True))
        return replace(column, categories=categories)

    # -- snapshots ---------------------------------------------------------------

    def export(self) -> EntityData:
        """The table's contents as plain arrays (views; hold the write lock while using them)."""
        state = self.state
        arrays = {key: column.values[: state.n] for key, column in state.columns.items()}
        categories = {key: list(codes) for key, codes in self.codes.items()}
        ids, apart = state.index.ids_by_row(state.delta, state.n)
        return EntityData(ids, apart, list(self.fields.values()), arrays, categories)

    @classmethod
    def from_data(cls, entity: Entity, data: EntityData) -> Table:
        """Rebuild a table from snapshot contents (already validated)."""
        table = cls(entity)
        n = len(data.ids)
        index, delta = data.index or IdIndex.build(data.ids, data.apart)
        columns: dict[str, Column] = {}
        for signal_field in data.fields:
            key = signal_field.key
            table.fields[key] = signal_field
            values = _resized(data.arrays[key], n, n, _missing(signal_field.type))
            categories = None
            if signal_field.type is FieldType.STRING:
                strings = data.categories[key]
                table.codes[key] = dict(zip(strings, range(len(strings)), strict=True))
                categories = np.full(len(strings) + 1, None, dtype=object)
                categories[: len(strings)] = _objects(strings)
            columns[key] = Column(signal_field.type, values, categories)
        table.state = TableState(n, n, columns, index, delta)
        return table
