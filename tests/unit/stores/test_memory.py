import json
import math
import threading
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
    np.save(data_dir(tmp_path / "snap") / "item.ids.npy", np.array([b"a", b"b", b"a"]))
    with pytest.raises(SignalStoreError, match=r"item\.ids\.npy: ids are not unique"):
        MemorySignalStore.open(tmp_path / "snap")


def test_snapshot_ids_of_the_wrong_kind_are_an_error(tmp_path: Path) -> None:
    filled_store().save(tmp_path / "snap")
    np.save(data_dir(tmp_path / "snap") / "item.ids.npy", np.array(["a", "b", "c"]))
    with pytest.raises(SignalStoreError, match=r"item\.ids\.npy: expected 3 ids as fixed-width"):
        MemorySignalStore.open(tmp_path / "snap")


@pytest.mark.parametrize(
    "pairs",
    [[[5, "x\x00"]], [[0, "x"]], [[0, "x\x00"], [0, "y\x00"]], {"0": "x\x00"}],
    ids=["row out of range", "no trailing NUL", "repeated row", "not a list"],
)
def test_snapshot_with_bad_ids_apart_is_an_error(tmp_path: Path, pairs: object) -> None:
    filled_store().save(tmp_path / "snap")
    (data_dir(tmp_path / "snap") / "item.apart.json").write_text(json.dumps(pairs))
    with pytest.raises(SignalStoreError, match=r"item\.apart\.json: (expected|rows repeat)"):
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


# -- the id index and its delta ------------------------------------------------------


def index_and_delta(store: MemorySignalStore) -> tuple[int, int]:
    state = store._tables["item"].state
    return state.index.size, len(state.delta)


def test_the_delta_is_merged_into_the_index_at_the_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_table, "_MERGE_AT", 4)
    store = MemorySignalStore()
    for i in range(3):
        store.put("item", [f"id{i}"], {"x": [float(i)]})
    assert index_and_delta(store) == (0, 3)
    ids = [f"id{i}" for i in range(6)]
    assert values(store, "item", ids, "x") == [0.0, 1.0, 2.0, None, None, None]
    store.put("item", ["id0", "id3"], {"x": [10.0, 3.0]})  # the 4th new id: merge
    assert index_and_delta(store) == (4, 0)
    assert values(store, "item", ids, "x") == [10.0, 1.0, 2.0, 3.0, None, None]
    store.put("item", ["id4", "id1"], {"x": [4.0, 11.0]})
    assert index_and_delta(store) == (4, 1)
    assert values(store, "item", ids, "x") == [10.0, 11.0, 2.0, 3.0, 4.0, None]
    store.put("item", [f"new{i}" for i in range(9)], {"x": [1.0] * 9})  # a bulk put: merge
    assert index_and_delta(store) == (14, 0)
    assert values(store, "item", [*ids, "new8"], "x") == [10.0, 11.0, 2.0, 3.0, 4.0, None, 1.0]
    assert store.count("item") == 14


def test_unknown_ids_among_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_table, "_MERGE_AT", 8)
    store = MemorySignalStore()
    indexed = [f"item-{i:03d}" for i in range(20)]
    store.put("item", indexed, {"x": [float(i) for i in range(20)]})
    store.put("item", ["recent", "récent"], {"x": [100.0, 101.0]})
    assert index_and_delta(store) == (20, 2)
    expected = [
        ("item-007", 7.0),  # in the index
        ("item-020", None),  # unknown, as long as the indexed ids
        ("recent", 100.0),  # in the delta
        ("item-0070", None),  # unknown, a known id's prefix
        ("item-007" + "x" * 30, None),  # longer than the index's width, a known id's prefix
        ("", None),
        ("récent", 101.0),  # in the delta, not ASCII
        ("rècent", None),  # unknown, not ASCII
        ("item-007\x00", None),  # unknown: a known id and a NUL
        ("item-019", 19.0),
    ]
    slate = [the_id for the_id, _ in expected]
    batch = store.lookup("item", slate, ["x"])
    assert batch.found.tolist() == [value is not None for _, value in expected]
    assert values(store, "item", slate, "x") == [value for _, value in expected]
    same_length = ["item-003", "item-999", "item-004", "item-abc"]
    assert values(store, "item", same_length, "x") == [3.0, None, 4.0, None]


def test_a_bulk_put_mixing_new_and_existing_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_table, "_MERGE_AT", 16)
    store = MemorySignalStore()
    first = [f"a{i}" for i in range(40)]
    store.put("item", first, {"x": [0.0] * 40, "s": ["old"] * 40})  # straight to the index
    store.put("item", ["d0", "d1", "d2"], {"x": [0.0] * 3})
    assert index_and_delta(store) == (40, 3)
    new = [f"n{i}" for i in range(30)]
    ids = [*first[::4], "d1", *new, "d2", "a0", "n0"]  # repeats: the last one wins
    x = [float(i) for i in range(len(ids))]
    store.put("item", ids, {"x": x, "s": [f"v{i}" for i in range(len(ids))]})
    assert index_and_delta(store) == (73, 0)
    assert store.count("item") == 73
    expected = {the_id: value for the_id, value in zip(ids, x, strict=True)}
    everything = [*first, "d0", "d1", "d2", *new]
    assert values(store, "item", everything, "x") == [expected.get(i, 0.0) for i in everything]
    assert values(store, "item", ["a0", "n0", "a1", "d0"], "s") == [
        f"v{len(ids) - 2}",
        f"v{len(ids) - 1}",
        "old",
        None,
    ]


def test_snapshot_round_trip_after_merges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_table, "_MERGE_AT", 5)
    store = MemorySignalStore()
    batches = [
        [f"item-{i}" for i in range(12)],
        ["é", "日本語", "", "z\x00", "a\x00b"],
        ["x" * 50, "item-3", "short", "s1", "s2", "s3"],  # widens the index
        ["late", "later\x00"],  # stay in the delta
    ]
    for number, batch in enumerate(batches):
        store.put("item", batch, {"x": [float(number)] * len(batch), "s": batch})
    assert store._tables["item"].state.index.width == 56
    assert index_and_delta(store) == (21, 3)  # 2 unmerged, 1 more ending with NUL
    store.save(tmp_path / "snap")
    loaded = MemorySignalStore.open(tmp_path / "snap")
    everything = [i for batch in batches for i in batch] + ["nope", "z", "later"]
    for key in ("x", "s"):
        assert values(loaded, "item", everything, key) == values(store, "item", everything, key)
    assert loaded.count("item") == store.count("item") == 24
    assert index_and_delta(loaded) == (22, 2)  # the two ids ending with NUL
    loaded.put("item", [f"more{i}" for i in range(6)] + ["é"], {"x": [9.0] * 7})
    assert index_and_delta(loaded) == (28, 2)
    assert values(loaded, "item", ["é", "more5", "z\x00", "item-3"], "x") == [9.0, 9.0, 1.0, 2.0]


def test_the_suite_passes_with_a_merge_at_every_few_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_table, "_MERGE_AT", 4)
    check_signal_store(MemorySignalStore)


def test_readers_always_find_ids_put_before_they_looked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_table, "_MERGE_AT", 64)  # a new index every few puts
    store = MemorySignalStore()
    published: list[str] = []
    stop = threading.Event()
    failures: list[str] = []

    def read() -> None:
        rng = np.random.default_rng()
        while not stop.is_set() and not failures:
            known = len(published)
            if not known:
                continue
            ids = [published[i] for i in rng.integers(0, known, 200)]
            batch = store.lookup("item", ids, ["x"])
            if not batch.found.all():
                failures.append(f"lost {ids[int(np.flatnonzero(~batch.found)[0])]!r}")
            elif not np.array_equal(batch.columns["x"], [float(i[3:]) for i in ids]):
                failures.append("wrong values")

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for start in range(0, 6_000, 25):
            ids = [f"ids{i}" for i in range(start, start + 25)]
            store.put("item", ids, {"x": [float(i) for i in range(start, start + 25)]})
            published.extend(ids)
            if failures:
                break
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not failures, failures[0]
    assert index_and_delta(store)[0] > 5_000
