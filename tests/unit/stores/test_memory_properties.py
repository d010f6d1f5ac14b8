import math

from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.stores import MemorySignalStore

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
