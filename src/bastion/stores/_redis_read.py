"""The read path of a Redis signal store: one round trip per slate, then NumPy decoding.

A lookup of number and bool fields only is one ``MGET`` of the schema version
and the slate's row keys. With string fields it is a ``MULTI`` with that
``MGET`` and one ``HMGET`` per string field over the slate, sent as one
pipeline: one round trip, and one consistent snapshot of rows and strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from bastion.core import Entity, FieldType, SignalBatch, SignalStoreError
from bastion.stores._redis_client import Outage
from bastion.stores._redis_codec import Keys, Layout, decode_rows, decode_strings

if TYPE_CHECKING:
    from redis import Redis

Fetched = tuple[bytes | None, list[bytes | None], list[list[bytes | None]]]


def fetch(
    reader: Redis, keys: Keys, entity: str, ids: Sequence[str], strings: list[str]
) -> Fetched:
    """The schema version, the rows of *ids*, and the values of each of *strings*, in one trip."""
    row_prefix = keys.rows(entity)
    wanted = [keys.version, *[row_prefix + the_id for the_id in ids]]
    if not strings:
        got: list[bytes | None] = reader.mget(wanted)  # type: ignore[assignment]
        return got[0], got[1:], []
    string_prefix = keys.strings(entity)
    with reader.pipeline(transaction=True) as pipe:
        pipe.mget(wanted)
        id_list = list(ids)
        for key in strings:
            pipe.hmget(string_prefix + key, id_list)
        replies = pipe.execute()
    return replies[0][0], replies[0][1:], replies[1:]


def entity_types(layout: Layout, entity: str) -> Mapping[str, FieldType]:
    """The field types of *entity*; ``SignalStoreError`` for an entity that is not one."""
    types = layout.types.get(entity)
    if types is None:
        raise SignalStoreError(
            f"unknown entity {entity!r}: a signal store holds 'item' and 'creator'"
        )
    return types


def check_keys(layout: Layout, entity: str, keys: Sequence[str]) -> None:
    """Raise ``SignalStoreError`` naming the first of *keys* that *entity* has no field for."""
    types = entity_types(layout, entity)
    for key in keys:
        if key not in types:
            known = ", ".join(f"{entity}.{k}" for k in sorted(types)) or "no fields"
            raise SignalStoreError(f"store has no field {entity}.{key}; it has: {known}")


def missing_batch(
    layout: Layout, entity: Entity, ids: Sequence[str], keys: Sequence[str], outage: Outage | None
) -> SignalBatch:
    """Every value missing: for an empty slate, or (counted) while Redis is unreachable."""
    if outage is not None and len(ids):
        outage.degraded += 1
    size = len(ids)
    types = layout.types.get(entity, {})
    columns = {
        key: np.full(size, None, dtype=object)
        if types.get(key) is FieldType.STRING
        else np.full(size, np.nan)
        for key in keys
    }
    return SignalBatch(entity, tuple(ids), columns, np.zeros(size, dtype=bool))


def decode_batch(
    layout: Layout,
    entity: Entity,
    ids: Sequence[str],
    keys: Sequence[str],
    rows: list[bytes | None],
    strings: dict[str, list[bytes | None]],
) -> SignalBatch:
    """The batch of a fetch: number and bool columns from the rows, string columns as read."""
    slots = layout.slots[entity]
    matrix = decode_rows(rows, layout.width(entity))
    columns = {
        key: decode_strings(strings[key]) if key in strings else matrix[:, slots[key]].copy()
        for key in keys
    }
    found = np.fromiter((row is not None for row in rows), dtype=bool, count=len(rows))
    return SignalBatch(entity, tuple(ids), columns, found)
