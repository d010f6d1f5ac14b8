"""How a Redis signal store lays signals out in keys and bytes (no I/O here).

Keys, for a store with prefix ``P`` (``item`` shown; ``creator`` is the same)::

    P:schema            hash    "item.hate" -> "number 0", "item.adult" -> "bool 1",
                                "item.lang" -> "string"
    P:schema:version    string  a random token, replaced whenever a field is added
    P:item:r:<id>       string  the id's number and bool values, 8 bytes per slot
    P:item:s:<key>      hash    <id> -> UTF-8 value of string field <key>

Every number or bool field of an entity owns a *slot*, fixed when the field is
added: its value for an id sits at bytes ``8 * slot`` of the id's row. A slot
holds the float64's bits XOR the bits of the canonical NaN
(``0x7FF8000000000000``), little-endian, so that eight zero bytes read back as
NaN: a missing value, a slot past the end of a short row (written before the
field existed) and the zero padding that ``SETRANGE`` leaves in a gap are all
missing without being written. A row key exists once its id has been put, so
its presence is what ``found`` reports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.core import ENTITIES, FieldType, SignalField, SignalSchema, is_qualified_name

logger = logging.getLogger(__name__)

SLOT_BYTES = 8
_XOR = np.uint64(0x7FF8_0000_0000_0000)
_SLOT_DTYPE = np.dtype("<u8")

Slots = npt.NDArray[np.uint64]
FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Keys:
    """The key names of a store with prefix ``prefix`` (see the module docstring)."""

    prefix: str

    @property
    def schema(self) -> str:
        """The schema hash."""
        return f"{self.prefix}:schema"

    @property
    def version(self) -> str:
        """The schema version token."""
        return f"{self.prefix}:schema:version"

    def rows(self, entity: str) -> str:
        """The prefix of *entity*'s row keys (the id follows)."""
        return f"{self.prefix}:{entity}:r:"

    def strings(self, entity: str) -> str:
        """The prefix of *entity*'s string-field hashes (the field's key follows)."""
        return f"{self.prefix}:{entity}:s:"


@dataclass(frozen=True, slots=True)
class Layout:
    """The schema as stored in Redis: each field's type, and each number or bool field's slot.

    Attributes:
        version: The schema version token read with it (``None``: no field yet).
        schema: The fields, for :attr:`SignalStore.schema`.
        types: Entity -> key -> type.
        slots: Entity -> key -> slot, for number and bool fields.
    """

    version: bytes | None
    schema: SignalSchema
    types: Mapping[str, Mapping[str, FieldType]]
    slots: Mapping[str, Mapping[str, int]]

    def width(self, entity: str) -> int:
        """How many slots the rows of *entity* have."""
        slots = self.slots.get(entity)
        return max(slots.values(), default=-1) + 1 if slots else 0

    def entries(self) -> dict[str, str]:
        """The ``P:schema`` hash for this layout."""
        return {
            f"{entity}.{key}": field_entry(ftype, self.slots[entity].get(key))
            for entity, types in self.types.items()
            for key, ftype in types.items()
        }


def field_entry(ftype: FieldType, slot: int | None) -> str:
    """A field's value in the schema hash: ``"number 3"``, ``"bool 4"`` or ``"string"``."""
    return ftype.value if slot is None else f"{ftype.value} {slot}"


def parse_entry(name: str, entry: str) -> tuple[FieldType, int | None]:
    """The type and slot in a schema hash value; ``ValueError`` when it is not one."""
    if not is_qualified_name(name) or name.split(".", 1)[0] not in ENTITIES:
        raise ValueError(f"{name!r} is not an item.* or creator.* field name")
    parts = entry.split(" ")
    ftype = FieldType(parts[0])
    if ftype is FieldType.STRING:
        if len(parts) != 1:
            raise ValueError(f"a string field has no slot: {entry!r}")
        return ftype, None
    if len(parts) != 2 or not parts[1].isdigit() or not parts[1].isascii():
        raise ValueError(f"a {ftype} field needs a slot number: {entry!r}")
    return ftype, int(parts[1])


def build_layout(
    entries: Mapping[str, str], version: bytes | None, declared: Iterable[SignalField] = ()
) -> Layout:
    """The layout of a schema hash; bad entries are logged and left out.

    *declared* fields (the store's constructor argument) keep their default
    and description in :attr:`Layout.schema` where Redis has them with the
    same type, and appear there (not in ``types``) where Redis lacks them.
    """
    types: dict[str, dict[str, FieldType]] = {entity: {} for entity in ENTITIES}
    slots: dict[str, dict[str, int]] = {entity: {} for entity in ENTITIES}
    taken: dict[str, dict[int, str]] = {entity: {} for entity in ENTITIES}
    for name, entry in sorted(entries.items()):
        try:
            ftype, slot = parse_entry(name, entry)
        except ValueError as error:
            logger.warning("ignoring schema entry %s=%r in Redis: %s", name, entry, error)
            continue
        entity, key = name.split(".", 1)
        if slot is not None:
            if slot in taken[entity]:
                logger.warning("ignoring %s: slot %d is %s's", name, slot, taken[entity][slot])
                continue
            taken[entity][slot] = name
            slots[entity][key] = slot
        types[entity][key] = ftype
    known = {f.name: f for f in declared}
    fields = [f for f in declared if f.key not in types.get(f.namespace, {})]
    for entity, entity_types in types.items():
        for key, ftype in entity_types.items():
            name = f"{entity}.{key}"
            mine = known.get(name)
            same = mine is not None and mine.type is ftype
            fields.append(mine if same and mine is not None else SignalField(name, ftype))
    return Layout(version, SignalSchema.of(fields), types, slots)


def decode_entries(raw: Mapping[bytes, bytes]) -> dict[str, str]:
    """A schema hash as read with ``HGETALL`` (bytes) as text; undecodable entries are dropped."""
    out = {}
    for name, entry in raw.items():
        try:
            out[name.decode()] = entry.decode()
        except UnicodeDecodeError:
            logger.warning("ignoring a schema entry in Redis that is not UTF-8: %r", name)
    return out


def encode_slots(values: FloatMatrix) -> Slots:
    """Float64 values (any shape) as slot words; every NaN becomes 0 (missing)."""
    words = values.view(np.uint64) ^ _XOR
    words[np.isnan(values)] = 0
    return words


def slot_bytes(words: Slots) -> bytes:
    """Slot words, row by row, as the little-endian bytes that go into row strings."""
    return np.ascontiguousarray(words, dtype=_SLOT_DTYPE).tobytes()


def decode_rows(rows: Sequence[bytes | None], width: int) -> FloatMatrix:
    """Row strings (``None`` for an unknown id) as an ``(len(rows), width)`` float64 matrix.

    Rows shorter than ``8 * width`` bytes are padded with missing values; longer
    ones (fields added since the layout was read) are cut.
    """
    size = SLOT_BYTES * width
    if not size:
        return np.zeros((len(rows), 0))
    empty = bytes(size)
    parts = [
        empty if row is None else row if len(row) == size else (row + empty)[:size] for row in rows
    ]
    words = np.frombuffer(b"".join(parts), dtype=_SLOT_DTYPE).reshape(len(rows), width)
    return (words ^ _XOR).view(np.float64)


def decode_strings(values: Sequence[bytes | None]) -> npt.NDArray[np.object_]:
    """String-field values read with ``HMGET`` as an object array, ``None`` where missing."""
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v is None else v.decode("utf-8", "surrogatepass") for v in values]
    return out
