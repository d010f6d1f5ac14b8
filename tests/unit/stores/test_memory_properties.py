import math
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.stores import MemorySignalStore, _table

POOL = [f"id{i}" for i in range(8)]
KEYS = ["a", "b", "c"]

values_ = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))


@st.composite
def puts(draw: st.DrawFn) -> tuple[list[str], dict[str, list[float | None]]]:
    ids = draw(st.lists(st.sampled_from(POOL), min_size=0, max_size=12))
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=len(KEYS)))
    columns = {k: draw(st.lists(values_, min_size=len(ids), max_size=len(ids))) for k in keys}
    return ids, columns


def stored(value: float | None) -> float | None:
    """What the store should hand back for a value put: non-finite reads as missing."""
    return value if value is not None and math.isfinite(value) else None


@settings(max_examples=300, deadline=None)
@given(st.lists(puts(), max_size=15))
def test_lookups_agree_with_a_dict_of_dicts(
    operations: list[tuple[list[str], dict[str, list[float | None]]]],
) -> None:
    store = MemorySignalStore()
    model: dict[str, dict[str, float | None]] = {}
    keys_seen: list[str] = []
    for ids, columns in operations:
        store.put("item", ids, columns)
        for position, the_id in enumerate(ids):
            row = model.setdefault(the_id, {})
            for key, column in columns.items():
                row[key] = stored(column[position])
        keys_seen += [k for k in columns if k not in keys_seen]
        slate = [*POOL, "unknown", POOL[0]]
        batch = store.lookup("item", slate, keys_seen)
        assert batch.found.tolist() == [i in model for i in slate]
        for key in keys_seen:
            got = [None if math.isnan(v) else v for v in batch.columns[key].tolist()]
            assert got == [model.get(i, {}).get(key) for i in slate], key
    assert store.count("item") == len(model)
    assert sorted(store.schema.names()) == sorted(f"item.{k}" for k in keys_seen)


TRICKY_POOL = ["a", "b", "", "é", "a\x00", "a\x00b", "x" * 20, "x" * 21, "item-1", "item-2"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(TRICKY_POOL), max_size=8), max_size=12),
    st.integers(min_value=1, max_value=4),
)
def test_lookups_agree_with_a_dict_across_index_rebuilds(
    operations: list[list[str]], merge_at: int
) -> None:
    """With a rebuild every few new ids, tricky ids (NUL, non-ASCII, long) keep their rows."""
    store = MemorySignalStore()
    model: dict[str, float] = {}
    with patch.object(_table, "_MERGE_AT", merge_at):
        for step, ids in enumerate(operations):
            values = [float(step * 100 + p) for p in range(len(ids))]
            store.put("item", ids, {"v": values})
            model.update(zip(ids, values, strict=True))
            slate = [*TRICKY_POOL, "zz", "x" * 22, "item-3"]
            batch = store.lookup("item", slate, ["v"])
            assert batch.found.tolist() == [i in model for i in slate]
            got = [None if math.isnan(v) else v for v in batch.columns["v"].tolist()]
            assert got == [model.get(i) for i in slate]
    assert store.count("item") == len(model)
