"""Bulk loading of signals from Parquet, CSV and JSON Lines files into any store."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bastion.core import Entity, SignalStore, SignalStoreError

logger = logging.getLogger(__name__)

_JSONL = (".jsonl", ".ndjson")
_SUFFIXES = (".parquet", ".csv", *_JSONL)


def load_signals(
    store: SignalStore,
    path: str | os.PathLike[str],
    *,
    entity: Entity = "item",
    id_column: str = "id",
) -> int:
    """Put every row of a signal file into *store*, in one ``put``.

    The format follows the extension: ``.parquet``, ``.csv`` (typed by
    ``pyarrow.csv``: numbers, ``true``/``false``, and empty cells as missing) or
    ``.jsonl`` / ``.ndjson`` (one JSON object per line). Every column other than
    *id_column* becomes a signal key of *entity*. Ids are read as strings, so
    ``007`` stays ``"007"``; integer ids in Parquet and JSON are converted.

    Args:
        store: Any signal store.
        path: The file to load.
        entity: ``item`` or ``creator``.
        id_column: The column (or JSON key) holding the ids.

    Returns:
        The number of rows loaded.

    Raises:
        SignalStoreError: Naming the file (and line, for JSON Lines): unknown
            extension, unreadable file, no id column, a bad line or value.
    """
    file_path = Path(path)
    suffix = file_path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise SignalStoreError(
            f"{file_path}: cannot load signals from a {suffix or 'suffix-less'} file; "
            f"use one of {', '.join(_SUFFIXES)}"
        )
    if suffix in _JSONL:
        ids, columns = _read_jsonl(file_path, id_column)
    else:
        ids, columns = _read_arrow(file_path, suffix, id_column)
    try:
        store.put(entity, ids, columns)
    except SignalStoreError as error:
        raise SignalStoreError(f"{file_path}: {error}") from error
    logger.info("loaded %d %s rows from %s", len(ids), entity, file_path)
    return len(ids)


def _read_arrow(
    file_path: Path, suffix: str, id_column: str
) -> tuple[list[str], dict[str, Sequence[object]]]:
    import pyarrow as pa  # lazily: keeps `import bastion.stores` fast
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    try:
        if suffix == ".parquet":
            table = pq.read_table(file_path)
        else:
            table = pa_csv.read_csv(
                file_path,
                convert_options=pa_csv.ConvertOptions(
                    column_types={id_column: pa.string()},
                    strings_can_be_null=True,  # an empty cell is missing, in every column
                    true_values=["true", "True", "TRUE"],
                    false_values=["false", "False", "FALSE"],
                ),
            )
    except (OSError, pa.ArrowException) as error:
        raise SignalStoreError(f"{file_path}: cannot read {suffix[1:]} file: {error}") from None
    if id_column not in table.column_names:
        raise SignalStoreError(
            f"{file_path}: no id column {id_column!r}; columns are: {', '.join(table.column_names)}"
        )
    id_array = table.column(id_column)
    if pa.types.is_integer(id_array.type):
        id_array = id_array.cast(pa.string())
    if not (pa.types.is_string(id_array.type) or pa.types.is_large_string(id_array.type)):
        raise SignalStoreError(
            f"{file_path}: id column {id_column!r} holds {id_array.type}, not strings"
        )
    if id_array.null_count:
        row = id_array.to_pylist().index(None) + 1
        raise SignalStoreError(f"{file_path}: data row {row} has no id in column {id_column!r}")
    columns = {
        name: _to_values(file_path, name, table.column(name))
        for name in table.column_names
        if name != id_column
    }
    return id_array.to_pylist(), columns


def _to_values(file_path: Path, name: str, column: Any) -> Sequence[object]:
    """A pyarrow column as a NumPy array (numbers, null-free bools) or a list.

    Arrays are typed ``Sequence[object]`` here because that is what the
    ``SignalStore`` protocol declares; stores convert them without a Python loop.
    """
    import pyarrow as pa

    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    is_bool = pa.types.is_boolean(kind)
    if (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or (is_bool and not column.null_count)
    ):
        return column.to_numpy()  # type: ignore[no-any-return]  # nulls become NaN: missing
    if is_bool or pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.to_pylist()  # type: ignore[no-any-return]
    if pa.types.is_null(kind):  # an all-empty column
        return [None] * len(column)
    raise SignalStoreError(
        f"{file_path}: column {name!r} holds {kind}; signals are numbers, bools or strings"
    )


def _read_jsonl(file_path: Path, id_column: str) -> tuple[list[str], dict[str, Sequence[object]]]:
    ids: list[str] = []
    columns: dict[str, list[object]] = {}
    kinds: dict[str, tuple[str, int]] = {}  # key -> (kind, line that set it)
    try:
        with open(file_path, encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                row = _parse_line(line, file_path, number)
                the_id = row.pop(id_column, None)
                if isinstance(the_id, int) and not isinstance(the_id, bool):
                    the_id = str(the_id)
                if not isinstance(the_id, str):
                    problem = "no" if the_id is None else f"a non-string ({the_id!r})"
                    raise SignalStoreError(
                        f"{file_path}:{number}: row has {problem} id {id_column!r}"
                    )
                for key, value in row.items():
                    _check_value(key, value, kinds, file_path, number)
                    values = columns.get(key)
                    if values is None:
                        values = columns[key] = [None] * len(ids)
                    values.append(value)
                ids.append(the_id)
                for values in columns.values():
                    if len(values) < len(ids):
                        values.append(None)
    except (OSError, UnicodeDecodeError) as error:
        raise SignalStoreError(f"{file_path}: cannot read: {error}") from None
    return ids, dict(columns)


def _parse_line(line: str, file_path: Path, number: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise SignalStoreError(
            f"{file_path}:{number}: not valid JSON: {error.msg} (column {error.colno})"
        ) from None
    if not isinstance(row, dict):
        raise SignalStoreError(
            f"{file_path}:{number}: expected a JSON object, got {type(row).__name__}"
        )
    return row


def _check_value(
    key: str, value: object, kinds: dict[str, tuple[str, int]], file_path: Path, number: int
) -> None:
    """Reject nested values, and a value whose type differs from the key's first one."""
    if value is None:
        return
    if isinstance(value, bool):
        kind = "bool"
    elif isinstance(value, int | float):
        kind = "number"
    elif isinstance(value, str):
        kind = "string"
    else:
        raise SignalStoreError(
            f"{file_path}:{number}: {key!r} is a JSON {type(value).__name__} ({value!r}); "
            "signals are numbers, bools or strings"
        )
    first = kinds.setdefault(key, (kind, number))
    if first[0] != kind:
        raise SignalStoreError(
            f"{file_path}:{number}: {key!r} is a {kind} ({value!r}), "
            f"but a {first[0]} on line {first[1]}"
        )
