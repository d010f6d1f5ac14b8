"""The byte and schema encodings of the Redis signal store, without a server."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.core import FieldType, SignalField
from bastion.stores._redis_codec import (
    build_layout,
    decode_rows,
    decode_strings,
    encode_slots,
    field_entry,
    parse_entry,
    slot_bytes,
)

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


def bits(values: np.ndarray) -> list[int]:
    return values.view(np.uint64).tolist()  # type: ignore[no-any-return]


@given(st.lists(st.lists(floats, min_size=3, max_size=3), min_size=0, max_size=20))
def test_slots_round_trip_every_float_bit_for_bit_and_nan_as_missing(
    rows: list[list[float]],
) -> None:
    values = np.array(rows, dtype=np.float64).reshape(len(rows), 3)
    words = encode_slots(values)
    blob = slot_bytes(words)
    assert len(blob) == 8 * values.size
    chunks = [blob[24 * i : 24 * (i + 1)] for i in range(len(rows))]
    back = decode_rows(chunks, 3)
    nan = np.isnan(values)
    assert np.array_equal(np.isnan(back), nan)
    assert bits(back[~nan]) == bits(values[~nan])  # -0.0, subnormals and infinities included
    assert all(w == 0 for w in words[nan].tolist()), "a missing value is eight zero bytes"


def test_zero_bytes_short_rows_and_unknown_ids_read_as_missing() -> None:
    one = slot_bytes(encode_slots(np.array([[1.5, -2.0]])))
    rows = [one, one[:8], None, b"", bytes(16), one + bytes(8) + b"\x01" * 8]
    matrix = decode_rows(rows, 2)
    expected = [[1.5, -2.0], [1.5, None], [None, None], [None, None], [None, None], [1.5, -2.0]]
    got = [[None if math.isnan(v) else v for v in row] for row in matrix.tolist()]
    assert got == expected


def test_a_layout_without_number_fields_decodes_to_no_columns() -> None:
    assert decode_rows([b"", None], 0).shape == (2, 0)


@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_strings_round_trip_including_lone_surrogates(values: list[str | None]) -> None:
    encoded = [None if v is None else v.encode("utf-8", "surrogatepass") for v in values]
    decoded = decode_strings(encoded)
    assert decoded.dtype == object
    assert decoded.tolist() == values


@pytest.mark.parametrize(
    ("ftype", "slot"), [(FieldType.NUMBER, 0), (FieldType.BOOL, 12), (FieldType.STRING, None)]
)
def test_schema_entries_round_trip(ftype: FieldType, slot: int | None) -> None:
    assert parse_entry("item.x", field_entry(ftype, slot)) == (ftype, slot)


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("item.x", "number"),
        ("item.x", "number -1"),
        ("item.x", "number 1 2"),
        ("item.x", "string 3"),
        ("item.x", "float 1"),
        ("user.x", "number 1"),
        ("item.X", "number 1"),
        ("item.x", "number ３"),
    ],
)
def test_bad_schema_entries_are_refused(name: str, entry: str) -> None:
    with pytest.raises(ValueError):
        parse_entry(name, entry)


def test_a_layout_skips_bad_entries_and_slot_clashes_and_keeps_declared_fields() -> None:
    declared = [
        SignalField("item.hate", FieldType.NUMBER, default=0.0, description="hate score"),
        SignalField("creator.tier", FieldType.STRING),
    ]
    entries = {
        "item.hate": "number 0",
        "item.adult": "bool 1",
        "item.clash": "number 1",  # slot 1 is item.adult's, which comes first by name
        "item.lang": "string",
        "item.bad": "number x",
    }
    layout = build_layout(entries, b"v1", declared)
    assert layout.version == b"v1"
    assert dict(layout.types["item"]) == {
        "adult": FieldType.BOOL,
        "hate": FieldType.NUMBER,
        "lang": FieldType.STRING,
    }
    assert dict(layout.slots["item"]) == {"adult": 1, "hate": 0}
    assert layout.width("item") == 2
    assert layout.width("creator") == 0
    hate = layout.schema.get("item.hate")
    assert hate is not None and hate.description == "hate score"
    assert "creator.tier" in layout.schema, "declared fields show before Redis has them"
    assert "tier" not in layout.types["creator"]
    assert layout.entries() == {
        "item.adult": "bool 1",
        "item.hate": "number 0",
        "item.lang": "string",
    }
