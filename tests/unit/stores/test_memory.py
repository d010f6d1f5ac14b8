import json
import math
from pathlib import Path

import numpy as np
import pytest

from bastion.core import FieldType, SignalField, SignalSchema, SignalStore, SignalStoreError
from bastion.stores import MemorySignalStore, _table
from bastion.testing import check_signal_store


def values(store: MemorySignalStore, entity: str, ids: list[str], key: str) -> list[object]:
    column = store.lookup(entity, ids, [key]).columns[key]  # type: ignore[arg-type]
    return [None if isinstance(v, float) and math.isnan(v) else v for v in column.tolist()]


def test_memory_store_passes_the_conformance_suite() -> None:
    check_signal_store(MemorySignalStore)


def test_memory_store_satisfies_the_protocol() -> None:
    assert isinstance(MemorySignalStore(), SignalStore)


def test_declared_fields_exist_before_any_data_and_fix_the_type() -> None:
    schema = SignalSchema.of(
        [
            SignalField("item.hate", FieldType.NUMBER, default=0.0, description="hate score"),
            SignalField("creator.tier", FieldType.STRING),
        ]
    )
    store = MemorySignalStore(schema)
    assert store.schema == schema
    batch = store.lookup("item", ["a", "b"], ["hate"])
    assert values(store, "item", ["a", "b"], "hate") == [None, None]
    assert batch.found.tolist() == [False, False]
    assert values(store, "creator", ["c"], "tier") == [None]
    with pytest.raises(SignalStoreError, match=r"item\.hate.*True.*'a'.*a number field"):
        store.put("item", ["a"], {"hate": [True]})
    assert store.count("item") == 0


def test_fields_outside_item_and_creator_are_rejected() -> None:
    schema = SignalSchema.of([SignalField("user.age_band", FieldType.STRING)])
    with pytest.raises(SignalStoreError, match=r"user\.age_band.*'user'"):
        MemorySignalStore(schema)


def test_unknown_entity_is_an_error() -> None:
    store = MemorySignalStore()
    with pytest.raises(SignalStoreError, match="unknown entity 'user'"):
        store.lookup("user", ["a"], [])  # type: ignore[arg-type]
    with pytest.raises(SignalStoreError, match="unknown entity 'user'"):
        store.put("user", ["a"], {"x": [1.0]})  # type: ignore[arg-type]


def test_unknown_key_error_lists_the_fields_it_has() -> None:
    store = MemorySignalStore()
    store.put("item", ["a"], {"hate": [0.1], "spam": [0.2]})
    with pytest.raises(
        SignalStoreError, match=r"no field item\.foo; it has: item\.hate, item\.spam"
    ):
        store.lookup("item", ["a"], ["foo"])


def test_count_counts_distinct_ids_per_entity() -> None:
    store = MemorySignalStore()
    store.put("item", ["a", "b", "a"], {"x": [1.0, 2.0, 3.0]})
    store.put("item", ["b", "c"], {"x": [4.0, 5.0]})
    store.put("creator", ["a"], {"x": [1.0]})
    assert (store.count("item"), store.count("creator")) == (3, 1)


def test_repeated_id_in_one_put_keeps_its_last_value() -> None:
    store = MemorySignalStore()
    store.put("item", ["a", "b", "a"], {"x": [1.0, 2.0, 3.0], "s": ["p", "q", "r"]})
    assert values(store, "item", ["a", "b"], "x") == [3.0, 2.0]
    assert values(store, "item", ["a", "b"], "s") == ["r", "q"]


def test_infinities_are_stored_as_missing() -> None:
    store = MemorySignalStore()
    store.put("item", ["a", "b", "c"], {"x": [math.inf, -math.inf, 1.0]})
    store.put("item", ["d", "e"], {"x": np.array([np.inf, 2.0])})
    assert values(store, "item", ["a", "b", "c", "d", "e"], "x") == [None, None, 1.0, None, 2.0]


def test_numpy_arrays_are_accepted_and_type_checked() -> None:
    store = MemorySignalStore()
    store.put("item", ["a", "b"], {"n": np.array([1, 2]), "f": np.array([True, False])})
    assert store.schema.get("item.n") == SignalField("item.n", FieldType.NUMBER)
    assert store.schema.get("item.f") == SignalField("item.f", FieldType.BOOL)
    assert values(store, "item", ["a", "b"], "f") == [1.0, 0.0]
    with pytest.raises(SignalStoreError, match=r"item\.f: value 0\.5 .* id 'b'"):
        store.put("item", ["a", "b"], {"f": np.array([np.nan, 0.5])})
    with pytest.raises(SignalStoreError, match=r"item\.n: value True .* id 'a'"):
        store.put("item", ["a"], {"n": np.array([True])})
    store.put("item", ["a"], {"f": np.array([np.nan])})  # NaN is missing, fine for a bool
    assert values(store, "item", ["a", "b"], "f") == [None, 0.0]


def test_bad_names_lengths_and_ids_are_rejected() -> None:
    store = MemorySignalStore()
    with pytest.raises(SignalStoreError, match="'Hate' is not a valid field name"):
        store.put("item", ["a"], {"Hate": [1.0]})
    with pytest.raises(SignalStoreError, match=r"item\.x has 1 values for 2 ids"):
        store.put("item", ["a", "b"], {"x": [1.0]})
    with pytest.raises(SignalStoreError, match="position 1 is 7"):
        store.put("item", ["a", 7], {"x": [1.0, 2.0]})  # type: ignore[list-item]
    with pytest.raises(SignalStoreError, match=r"item\.x: value \[1\] .* a new field"):
        store.put("item", ["a"], {"x": [[1]]})
    assert store.count("item") == 0
    assert len(store.schema) == 0


def test_lookup_returns_copies_not_views() -> None:
    store = MemorySignalStore()
    store.put("item", ["a"], {"x": [1.0]})
    store.lookup("item", ["a"], ["x"]).columns["x"][0] = 99.0
    assert values(store, "item", ["a"], "x") == [1.0]


def test_growth_keeps_rows_and_categories() -> None:
    store = MemorySignalStore()
    for start in range(0, 300, 7):  # crosses capacities 16, 32, ... 512
        ids = [f"i{i}" for i in range(start, start + 7)]
        store.put("item", ids, {"x": [float(i) for i in range(start, start + 7)], "s": ids})
    ids = [f"i{i}" for i in range(0, 301)]
    assert values(store, "item", ids, "x") == [float(i) for i in range(301)]
    assert values(store, "item", ids, "s") == ids


def test_updates_larger_than_a_window_are_applied_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_table, "_WINDOW_ROWS", 4)
    store = MemorySignalStore()
    ids = [f"i{i}" for i in range(50)]
    store.put("item", ids, {"x": [0.0] * 50, "s": ["old"] * 50})
    store.put("item", ids[::-1], {"x": [float(i) for i in range(50)], "s": ids[::-1]})
    assert values(store, "item", ids, "x") == [float(49 - i) for i in range(50)]
    assert values(store, "item", ids, "s") == ids


def test_lookups_without_the_lock_free_path_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_table, "_OPTIMISTIC_TRIES", 0)
    check_signal_store(MemorySignalStore)


def test_slates_with_and_without_unknown_ids_alternate_correctly() -> None:
    store = MemorySignalStore()
    store.put("item", ["a", "b"], {"x": [1.0, 2.0]})
    for _ in range(3):
        assert values(store, "item", ["b", "a"], "x") == [2.0, 1.0]
        assert values(store, "item", ["b", "z", "a"], "x") == [2.0, None, 1.0]
        assert values(store, "item", ["a"], "x") == [1.0]
        assert store.lookup("item", [], ["x"]).columns["x"].shape == (0,)


# -- snapshots -----------------------------------------------------------------------


def filled_store() -> MemorySignalStore:
    schema = SignalSchema.of([SignalField("item.hate", FieldType.NUMBER, 0.5, "hate score")])
    store = MemorySignalStore(schema)
    store.put(
        "item",
        ["a", "b", "c"],
        {"hate": [0.9, None, 0.1], "ok": [True, None, False], "lang": ["en", None, "fr\x00"]},
    )
    store.put("creator", ["k"], {"risk": [0.3]})
    return store


def test_snapshot_round_trip(tmp_path: Path) -> None:
    original = filled_store()
    original.save(tmp_path / "snap")
    loaded = MemorySignalStore.open(tmp_path / "snap")
    assert loaded.schema == original.schema
    assert loaded.schema.get("item.hate") == SignalField(
        "item.hate", FieldType.NUMBER, 0.5, "hate score"
    )
    ids = ["c", "a", "zz", "b"]
    for key in ("hate", "ok", "lang"):
        assert values(loaded, "item", ids, key) == values(original, "item", ids, key)
    assert values(loaded, "item", ids, "lang") == ["fr\x00", "en", None, None]
    assert loaded.lookup("item", ids, []).found.tolist() == [True, True, False, True]
    assert values(loaded, "creator", ["k"], "risk") == [0.3]
    # A loaded store keeps growing: new rows, new categories after the loaded ones.
    loaded.put("item", ["d", "a"], {"lang": ["de", "fr\x00"], "ok": [True, True]})
    assert values(loaded, "item", ["a", "b", "c", "d"], "lang") == ["fr\x00", None, "fr\x00", "de"]
    assert loaded.count("item") == 4


def test_snapshot_of_an_empty_store(tmp_path: Path) -> None:
    MemorySignalStore().save(tmp_path / "snap")
    loaded = MemorySignalStore.open(tmp_path / "snap")
    assert loaded.count("item") == 0 and len(loaded.schema) == 0


def test_open_of_a_missing_snapshot_names_the_manifest(tmp_path: Path) -> None:
    with pytest.raises(SignalStoreError, match=r"nothing.manifest\.json: snapshot file is missing"):
        MemorySignalStore.open(tmp_path / "nothing")


def test_corrupt_manifest_is_an_error_naming_it(tmp_path: Path) -> None:
    filled_store().save(tmp_path / "snap")
    (tmp_path / "snap" / "manifest.json").write_text("{not json")
    with pytest.raises(SignalStoreError, match=r"manifest\.json: cannot read"):
        MemorySignalStore.open(tmp_path / "snap")


def test_manifest_with_a_bad_file_name_is_rejected(tmp_path: Path) -> None:
    filled_store().save(tmp_path / "snap")
    manifest_path = tmp_path / "snap" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["entities"]["item"]["ids"] = "../../etc/passwd"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(SignalStoreError, match=r"item\.ids must be a plain file name"):
        MemorySignalStore.open(tmp_path / "snap")


def data_dir(snapshot: Path) -> Path:
    return snapshot / str(json.loads((snapshot / "manifest.json").read_text())["data"])


def test_truncated_column_file_is_an_error_naming_it(tmp_path: Path) -> None:
    filled_store().save(tmp_path / "snap")
    column = data_dir(tmp_path / "snap") / "item.hate.npy"
    column.write_bytes(column.read_bytes()[:-8])
    with pytest.raises(SignalStoreError, match=r"item\.hate\.npy: not a readable \.npy file"):
        MemorySignalStore.open(tmp_path / "snap")


def test_codes_outside_the_categories_are_an_error(tmp_path: Path) -> None:
    filled_store().save(tmp_path / "snap")
    column = data_dir(tmp_path / "snap") / "item.lang.npy"
    np.save(column, np.array([0, 5, -1], dtype=np.int32))
    with pytest.raises(SignalStoreError, match=r"item\.lang\.npy: codes run from -1 to 5"):
        MemorySignalStore.open(tmp_path / "snap")


def test_wrong_length_column_is_an_error(tmp_path: Path) -> None:
    filled_store().save(tmp_path / "snap")
    np.save(data_dir(tmp_path / "snap") / "item.ok.npy", np.zeros(2))
    with pytest.raises(SignalStoreError, match=r"item\.ok\.npy: expected 3 values of float64"):
        MemorySignalStore.open(tmp_path / "snap")


def test_failed_save_leaves_the_previous_snapshot_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = tmp_path / "snap"
    filled_store().save(snapshot)
    before = sorted(p.name for p in snapshot.iterdir())
    real_save = np.save
    calls = []

    def failing_save(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(np, "save", failing_save)
    changed = filled_store()
    changed.put("item", ["a"], {"hate": [0.0]})
    with pytest.raises(SignalStoreError, match="could not save snapshot .*No space left"):
        changed.save(snapshot)
    assert sorted(p.name for p in snapshot.iterdir()) == before  # no debris either
    assert values(MemorySignalStore.open(snapshot), "item", ["a"], "hate") == [0.9]


def test_saves_keep_the_current_and_previous_data_only(tmp_path: Path) -> None:
    snapshot = tmp_path / "snap"
    store = filled_store()
    names = []
    for value in (0.1, 0.2, 0.3):
        store.put("item", ["a"], {"hate": [value]})
        store.save(snapshot)
        names.append(data_dir(snapshot).name)
    assert sorted(p.name for p in snapshot.iterdir()) == sorted(["manifest.json", *names[1:]])
    assert values(MemorySignalStore.open(snapshot), "item", ["a"], "hate") == [0.3]


def test_save_refuses_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SignalStoreError, match="not empty and holds no manifest.json"):
        filled_store().save(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_snapshot_with_repeated_ids_is_an_error(tmp_path: Path) -> None:
    filled_store().save(tmp_path / "snap")
    ids_file = data_dir(tmp_path / "snap") / "item.ids.json"
    ids_file.write_text(json.dumps(["a", "b", "a"]))
    with pytest.raises(SignalStoreError, match=r"item\.ids\.json: ids are not unique"):
        MemorySignalStore.open(tmp_path / "snap")


def test_string_subclass_ids_are_accepted() -> None:
    class Id(str):
        pass

    store = MemorySignalStore()
    store.put("item", [Id("a")], {"x": [1.0]})
    assert values(store, "item", ["a"], "x") == [1.0]


def test_docstring_example_runs() -> None:
    import doctest

    from bastion.stores import _memory

    result = doctest.testmod(_memory)
    assert result.attempted >= 3 and result.failed == 0
