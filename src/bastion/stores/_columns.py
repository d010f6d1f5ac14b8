"""Validating and encoding the values handed to ``put``, one column at a time.

Number and bool columns become ``float64`` arrays (bools as 0.0 / 1.0, ``NaN``
for missing); string columns become ``int32`` codes into a list of categories
(``-1`` for missing). Nothing here touches a store: encoding happens before a
put writes anything, so that a bad value leaves the store unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.core import FieldType, SignalStoreError, is_qualified_name

MISSING_CODE = -1
"""The code of a missing string value; it indexes the ``None`` kept after the categories."""

_NUMBER_TYPES = (int, float, np.integer, np.floating)
_BOOL_TYPES = (bool, np.bool_)
_PLAIN_NUMBERS = frozenset({int, float})
_PLAIN_NUMBERS_OR_NONE = frozenset({int, float, type(None)})

FloatArray = npt.NDArray[np.float64]
ColumnValues = Sequence[object] | npt.NDArray[Any]
"""What ``put`` accepts for one column: a sequence of values, or a NumPy array."""


def check_ids(entity: str, ids: Sequence[object]) -> None:
    """Refuse ids that are not strings, naming the first one.

    Raises:
        SignalStoreError: An id is not a string.
    """
    if set(map(type, ids)) <= {str}:  # fast; the loop only runs to name the culprit
        return
    for position, the_id in enumerate(ids):
        if not isinstance(the_id, str):
            raise SignalStoreError(
                f"{entity} ids must be strings; id at position {position} is {the_id!r}"
            )


def check_column(entity: str, key: object, values: ColumnValues, count: int) -> str:
    """Refuse a bad field name or a column of the wrong length; return ``entity.key``.

    Raises:
        SignalStoreError: Naming the column and what is wrong with it.
    """
    name = f"{entity}.{key}"
    if not isinstance(key, str) or not is_qualified_name(name):
        raise SignalStoreError(
            f"column {key!r} is not a valid field name: use a lower-case identifier "
            f"such as 'hate_score' (it becomes {entity}.<name>)"
        )
    if len(values) != count:
        raise SignalStoreError(
            f"column {name} has {len(values)} values for {count} ids; "
            "every column needs exactly one value per id"
        )
    return name


class BadValueError(Exception):
    """A value that does not fit its column; the store adds entity, column and id."""

    def __init__(self, position: int, value: object, expected: str) -> None:
        self.position = position
        self.value = value
        self.expected = expected
        super().__init__(f"position {position}: expected {expected}, got {value!r}")


@dataclass(frozen=True, slots=True)
class Encoded:
    """One column of a put, validated and converted.

    Attributes:
        type: The column's type (declared, or inferred from its first value).
        values: ``float64`` values, or ``int32`` codes for a string column.
        new_categories: Strings not yet known to the column, in code order; their
            codes continue after the column's existing categories.
    """

    type: FieldType
    values: npt.NDArray[Any]
    new_categories: tuple[str, ...] = ()


def _is_nan(value: object) -> bool:
    return isinstance(value, float | np.floating) and math.isnan(value)


def infer_type(values: ColumnValues) -> FieldType:
    """The type of a new column, from its first value that is not missing.

    Bools give ``BOOL``, ints and floats ``NUMBER``, strings ``STRING``; a column
    whose values are all missing is taken to be ``NUMBER``.

    Raises:
        BadValueError: The first present value is of no supported type.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return FieldType.BOOL if values.dtype.kind == "b" else FieldType.NUMBER
    for position, value in enumerate(values):
        if value is None or _is_nan(value):
            continue
        if isinstance(value, _BOOL_TYPES):
            return FieldType.BOOL
        if isinstance(value, _NUMBER_TYPES):
            return FieldType.NUMBER
        if isinstance(value, str):
            return FieldType.STRING
        raise BadValueError(position, value, "a number, a bool or a string")
    return FieldType.NUMBER


def encode(
    values: ColumnValues, ftype: FieldType, known: Mapping[str, int] | None = None
) -> Encoded:
    """Validate *values* against *ftype* and convert them to a column array.

    Args:
        values: One value per id; ``None`` and ``NaN`` mean missing.
        ftype: The column's type.
        known: For a string column, the codes of the categories it already has.

    Raises:
        BadValueError: A value is not of *ftype*.
    """
    if ftype is FieldType.STRING:
        return _encode_strings(values, known or {})
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return Encoded(ftype, _encode_numeric_array(values, ftype))
    plain: Sequence[object] = values.tolist() if isinstance(values, np.ndarray) else values
    if ftype is FieldType.NUMBER:
        return Encoded(ftype, _finite(_encode_numbers(plain)))
    return Encoded(ftype, _encode_bools(plain))


def _finite(array: FloatArray) -> FloatArray:
    # inf cannot be compared meaningfully with a threshold; store it as missing.
    np.putmask(array, ~np.isfinite(array), np.nan)
    return array


def _encode_numeric_array(values: npt.NDArray[Any], ftype: FieldType) -> FloatArray:
    is_bool = values.dtype.kind == "b"
    if ftype is FieldType.NUMBER and is_bool and len(values):
        raise BadValueError(0, values[0].item(), "a number")
    if ftype is FieldType.BOOL and not is_bool:
        # Only NaN (missing) may go into a bool column from a numeric array.
        present = np.flatnonzero(
            ~np.isnan(values) if values.dtype.kind == "f" else values == values
        )
        if len(present):
            position = int(present[0])
            raise BadValueError(position, values[position].item(), "true or false")
    return _finite(values.astype(np.float64))


def _encode_numbers(values: Sequence[object]) -> FloatArray:
    kinds = set(map(type, values))
    try:
        if kinds <= _PLAIN_NUMBERS:
            return np.array(values, dtype=np.float64)
        if kinds <= _PLAIN_NUMBERS_OR_NONE:
            return np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    except OverflowError:
        pass  # an int too large for a float; the loop below says which
    out = np.empty(len(values), dtype=np.float64)
    for position, value in enumerate(values):
        if value is None:
            out[position] = math.nan
        elif isinstance(value, _NUMBER_TYPES) and not isinstance(value, _BOOL_TYPES):
            try:
                out[position] = float(value)
            except OverflowError:
                raise BadValueError(position, value, "a number that fits a float") from None
        else:
            raise BadValueError(position, value, "a number")
    return out


def _encode_bools(values: Sequence[object]) -> FloatArray:
    out = np.empty(len(values), dtype=np.float64)
    for position, value in enumerate(values):
        if value is None or _is_nan(value):
            out[position] = math.nan
        elif isinstance(value, _BOOL_TYPES):
            out[position] = 1.0 if value else 0.0
        else:
            raise BadValueError(position, value, "true or false")
    return out


def _encode_strings(values: ColumnValues, known: Mapping[str, int]) -> Encoded:
    if isinstance(values, np.ndarray):
        values = values.tolist()
    new: dict[str, int] = {}
    next_code = len(known)
    codes: list[int] = []
    append = codes.append
    for position, value in enumerate(values):
        if value is None or _is_nan(value):
            append(MISSING_CODE)
            continue
        if not isinstance(value, str):
            raise BadValueError(position, value, "a string")
        code = known.get(value)
        if code is None:
            code = new.get(value)
            if code is None:
                code = new[value] = next_code + len(new)
        append(code)
    return Encoded(FieldType.STRING, np.array(codes, dtype=np.int32), tuple(new))
