import math
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bastion.core import FieldType, SignalField, SignalSchema, SignalStoreError
from bastion.stores import MemorySignalStore, load_signals


def values(
    store: MemorySignalStore, ids: list[str], key: str, entity: str = "item"
) -> list[object]:
    column = store.lookup(entity, ids, [key]).columns[key]  # type: ignore[arg-type]
    return [None if isinstance(v, float) and math.isnan(v) else v for v in column.tolist()]


def types(store: MemorySignalStore) -> dict[str, FieldType]:
    return {f.name: f.type for f in store.schema}


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "signals.parquet"
    table = pa.table(
        {
            "id": [1, 2, 3],
            "hate": [0.5, None, 1.0],
            "views": pa.array([10, None, 30], type=pa.int64()),
            "nsfw": [True, None, False],
            "safe": [True, True, False],
            "lang": ["en", None, ""],
            "topic": pa.array(["a", "b", "a"]).dictionary_encode(),
        }
    )
    pq.write_table(table, path)
    store = MemorySignalStore()
    assert load_signals(store, path) == 3
    ids = ["1", "2", "3"]
    assert values(store, ids, "hate") == [0.5, None, 1.0]
    assert values(store, ids, "views") == [10.0, None, 30.0]
    assert values(store, ids, "nsfw") == [1.0, None, 0.0]
    assert values(store, ids, "safe") == [1.0, 1.0, 0.0]
    assert values(store, ids, "lang") == ["en", None, ""]
    assert values(store, ids, "topic") == ["a", "b", "a"]
    assert types(store) == {
        "item.hate": FieldType.NUMBER,
        "item.views": FieldType.NUMBER,
        "item.nsfw": FieldType.BOOL,
        "item.safe": FieldType.BOOL,
        "item.lang": FieldType.STRING,
        "item.topic": FieldType.STRING,
    }


def test_csv_is_typed_and_empty_cells_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "creators.CSV"
    path.write_text("handle,risk,verified,tier\n007,0.25,true,gold\n008,,false,\n009,1,,silver\n")
    store = MemorySignalStore()
    assert load_signals(store, path, entity="creator", id_column="handle") == 3
    ids = ["007", "008", "009"]
    assert values(store, ids, "risk", "creator") == [0.25, None, 1.0]
    assert values(store, ids, "verified", "creator") == [1.0, 0.0, None]
    assert values(store, ids, "tier", "creator") == ["gold", None, "silver"]
    assert types(store) == {
        "creator.risk": FieldType.NUMBER,
        "creator.verified": FieldType.BOOL,
        "creator.tier": FieldType.STRING,
    }
    assert store.count("item") == 0


def test_csv_without_the_id_column_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "signals.csv"
    path.write_text("item,hate\na,0.5\n")
    with pytest.raises(
        SignalStoreError, match=r"signals\.csv: no id column 'id'; columns are: item, hate"
    ):
        load_signals(MemorySignalStore(), path)


def test_jsonl_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "signals.jsonl"
    path.write_text(
        '{"id": "a", "hate": 0.5, "nsfw": true, "lang": "en"}\n'
        "\n"
        '{"id": 7, "hate": null, "lang": "fr"}\n'
        '{"id": "c", "extra": 3}\n'
    )
    store = MemorySignalStore()
    assert load_signals(store, path) == 3
    ids = ["a", "7", "c"]
    assert values(store, ids, "hate") == [0.5, None, None]
    assert values(store, ids, "nsfw") == [1.0, None, None]
    assert values(store, ids, "lang") == ["en", "fr", None]
    assert values(store, ids, "extra") == [None, None, 3.0]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "b", "hate": }', r"signals\.ndjson:2: not valid JSON: Expecting value"),
        ('["b", 0.5]', r"signals\.ndjson:2: expected a JSON object, got list"),
        ('{"hate": 0.5}', r"signals\.ndjson:2: row has no id 'id'"),
        ('{"id": "b", "hate": [1]}', r"signals\.ndjson:2: 'hate' is a JSON list"),
        (
            '{"id": "b", "hate": "high"}',
            r"signals\.ndjson:2: 'hate' is a string .* a number on line 1",
        ),
    ],
)
def test_jsonl_bad_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "signals.ndjson"
    path.write_text('{"id": "a", "hate": 0.5}\n' + line + "\n")
    store = MemorySignalStore()
    with pytest.raises(SignalStoreError, match=message):
        load_signals(store, path)
    assert store.count("item") == 0


def test_store_type_errors_name_the_file(tmp_path: Path) -> None:
    store = MemorySignalStore(SignalSchema.of([SignalField("item.hate", FieldType.NUMBER)]))
    path = tmp_path / "signals.csv"
    path.write_text("id,hate\na,high\n")
    with pytest.raises(SignalStoreError, match=r"signals\.csv: item\.hate: value 'high'"):
        load_signals(store, path)


def test_unknown_extension_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "signals.xlsx"
    path.write_text("")
    with pytest.raises(
        SignalStoreError, match=r"signals\.xlsx: cannot load signals from a \.xlsx file"
    ):
        load_signals(MemorySignalStore(), path)


def test_unreadable_parquet_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(SignalStoreError, match=r"broken\.parquet: cannot read parquet file"):
        load_signals(MemorySignalStore(), path)


def test_importing_the_stores_does_not_import_pyarrow() -> None:
    code = "import sys, bastion.stores; print('pyarrow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
