"""A put to a Redis signal store: validated and encoded first, then written in chunks.

:func:`plan_put` checks and converts every value before anything is sent (a bad
value raises and writes nothing), adds the put's new fields to the layout, and
groups the number and bool fields into runs of adjacent slots. :func:`queue_chunk`
then queues one chunk of ids on a pipeline: for each run, one script call that
writes the run's bytes into every id's row with ``SETRANGE`` (a few thousand ids
per call, rather than one command per id), and for each string field one
``HSET`` of the present values and one ``HDEL`` of the missing ones.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bastion.core import Entity, FieldType, SignalSchema, SignalStoreError
from bastion.stores._columns import (
    BadValueError,
    ColumnValues,
    Encoded,
    check_column,
    check_ids,
    encode,
    infer_type,
)
from bastion.stores._redis_codec import (
    SLOT_BYTES,
    Keys,
    Layout,
    Slots,
    build_layout,
    decode_entries,
    encode_slots,
    slot_bytes,
)

if TYPE_CHECKING:
    from redis import Redis
    from redis.client import Pipeline

_WATCH_TRIES = 20

# KEYS: row keys; ARGV: byte offset, bytes per row, the rows' bytes end to end.
# Bytes per row 0 only makes sure the rows exist (a put of string fields only).
WRITE_ROWS = """
local offset = tonumber(ARGV[1])
local width = tonumber(ARGV[2])
local blob = ARGV[3]
if width == 0 then
  for i = 1, #KEYS do redis.call('APPEND', KEYS[i], '') end
  return #KEYS
end
for i = 1, #KEYS do
  local start = (i - 1) * width
  redis.call('SETRANGE', KEYS[i], offset, string.sub(blob, start + 1, start + width))
end
return #KEYS
"""


@dataclass(frozen=True, slots=True)
class Run:
    """Adjacent slots written together: their first slot and one row of words per id."""

    first: int
    words: Slots


@dataclass(frozen=True, slots=True)
class PutPlan:
    """What one put writes: the layout after it, its new schema entries, ids and values."""

    layout: Layout
    new_entries: dict[str, str]
    ids: list[str]
    runs: list[Run] = field(default_factory=list)
    strings: dict[str, list[str | None]] = field(default_factory=dict)


def check_shape(entity: Entity, ids: Sequence[object], columns: Mapping[str, Any]) -> None:
    """Refuse non-string ids, bad field names and columns of the wrong length."""
    check_ids(entity, ids)
    for key, values in columns.items():
        check_column(entity, key, values, len(ids))


def plan_put(
    layout: Layout,
    entity: Entity,
    ids: Sequence[str],
    columns: Mapping[str, ColumnValues],
    declared: SignalSchema,
) -> PutPlan:
    """Validate and encode a put against *layout* (read under ``WATCH``).

    Raises:
        SignalStoreError: A value does not fit its field, naming field, id and value.
    """
    types = dict(layout.types[entity])
    slots = dict(layout.slots[entity])
    next_slot = layout.width(entity)
    new_entries: dict[str, str] = {}
    numbers: dict[int, np.ndarray[Any, np.dtype[np.float64]]] = {}
    strings: dict[str, list[str | None]] = {}
    for key, values in columns.items():
        known = types.get(key)
        mine = declared.get(f"{entity}.{key}")
        ftype = known or (mine.type if mine else None)
        encoded = _encode(entity, ids, key, values, ftype, known is not None or mine is not None)
        if known is None:
            types[key] = encoded.type
            if encoded.type is not FieldType.STRING:
                slots[key] = next_slot
                next_slot += 1
            new_entries[f"{entity}.{key}"] = _entry(encoded.type, slots.get(key))
        if encoded.type is FieldType.STRING:
            categories = encoded.new_categories
            strings[key] = [None if c < 0 else categories[c] for c in encoded.values.tolist()]
        else:
            numbers[slots[key]] = encoded.values
    kept = _last_occurrences(ids)
    unique = list(ids) if kept is None else [ids[i] for i in kept]
    if kept is not None:
        numbers = {slot: values[kept] for slot, values in numbers.items()}
        strings = {key: [values[i] for i in kept] for key, values in strings.items()}
    entries = layout.entries() | new_entries if new_entries else {}
    new_layout = build_layout(entries, layout.version, declared) if new_entries else layout
    return PutPlan(new_layout, new_entries, unique, _runs(numbers), strings)


def write(
    writer: Redis,
    keys: Keys,
    entity: Entity,
    ids: Sequence[str],
    columns: Mapping[str, ColumnValues],
    *,
    declared: SignalSchema,
    chunk: int,
) -> Layout:
    """Plan and write a put; return the layout after it.

    The schema is read under ``WATCH``; new fields and the first chunk of ids
    go in one transaction, which starts over if another writer changed the
    schema meanwhile. The other chunks follow, one transaction each.

    Raises:
        SignalStoreError: A bad value (nothing written), or the schema kept changing.
    """
    import redis

    for _ in range(_WATCH_TRIES):
        with writer.pipeline(transaction=True) as pipe:
            pipe.watch(keys.schema, keys.version)  # type: ignore[no-untyped-call]
            raw: dict[bytes, bytes] = pipe.hgetall(keys.schema)  # type: ignore[assignment]
            version: bytes | None = pipe.get(keys.version)  # type: ignore[assignment]
            layout = build_layout(decode_entries(raw), version, declared)
            plan = plan_put(layout, entity, ids, columns, declared)
            pipe.multi()
            if plan.new_entries:
                token = secrets.token_hex(8).encode()
                pipe.hset(keys.schema, mapping=plan.new_entries)  # type: ignore[arg-type]
                pipe.set(keys.version, token)
                plan = dataclasses.replace(
                    plan, layout=dataclasses.replace(plan.layout, version=token)
                )
            if plan.ids:
                queue_chunk(pipe, plan, 0, chunk, keys, entity)
            try:
                pipe.execute()
            except redis.WatchError:
                continue
        break
    else:
        raise SignalStoreError(f"the schema in Redis kept changing during {_WATCH_TRIES} tries")
    for start in range(chunk, len(plan.ids), chunk):
        with writer.pipeline(transaction=True) as pipe:
            queue_chunk(pipe, plan, start, start + chunk, keys, entity)
            pipe.execute()
    return plan.layout


def queue_chunk(
    pipe: Pipeline, plan: PutPlan, start: int, stop: int, keys: Keys, entity: str
) -> None:
    """Queue the writes of ids ``start:stop`` of *plan* on *pipe* (in a transaction)."""
    row_prefix, string_prefix = keys.rows(entity), keys.strings(entity)
    ids = plan.ids[start:stop]
    rows = [row_prefix + the_id for the_id in ids]
    if not plan.runs:
        pipe.eval(WRITE_ROWS, len(rows), *rows, 0, 0, b"")
    for run in plan.runs:
        words = run.words[start:stop]
        size = SLOT_BYTES * words.shape[1]
        pipe.eval(WRITE_ROWS, len(rows), *rows, SLOT_BYTES * run.first, size, slot_bytes(words))
    for key, values in plan.strings.items():
        chunk = values[start:stop]
        present = {i: v for i, v in zip(ids, chunk, strict=True) if v is not None}
        absent = [i for i, v in zip(ids, chunk, strict=True) if v is None]
        if present:
            pipe.hset(string_prefix + key, mapping=present)  # type: ignore[arg-type]
        if absent:
            pipe.hdel(string_prefix + key, *absent)


def _entry(ftype: FieldType, slot: int | None) -> str:
    return ftype.value if slot is None else f"{ftype.value} {slot}"


def _encode(
    entity: Entity,
    ids: Sequence[str],
    key: str,
    values: ColumnValues,
    ftype: FieldType | None,
    declared: bool,
) -> Encoded:
    name = f"{entity}.{key}"
    try:
        if ftype is None:
            ftype = infer_type(values)
        return encode(values, ftype)
    except BadValueError as error:
        if declared:
            what = f"a {ftype} field"
        elif ftype:
            what = f"a new field typed {ftype} by its first value"
        else:
            what = "a new field"
        raise SignalStoreError(
            f"{name}: value {error.value!r} ({type(error.value).__name__}) for id "
            f"{ids[error.position]!r} does not fit {what}: expected {error.expected}"
        ) from None


def _last_occurrences(ids: Sequence[str]) -> list[int] | None:
    """Positions of each id's last occurrence, in order, or ``None`` when no id repeats."""
    last = {the_id: position for position, the_id in enumerate(ids)}
    if len(last) == len(ids):
        return None
    return sorted(last.values())


def _runs(numbers: Mapping[int, np.ndarray[Any, np.dtype[np.float64]]]) -> list[Run]:
    runs: list[Run] = []
    slots = sorted(numbers)
    start = 0
    for i in range(1, len(slots) + 1):
        if i == len(slots) or slots[i] != slots[i - 1] + 1:
            block = np.column_stack([numbers[s] for s in slots[start:i]])
            runs.append(Run(slots[start], encode_slots(block)))
            start = i
    return runs
