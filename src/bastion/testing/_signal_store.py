"""The conformance suite every :class:`~bastion.core.SignalStore` backend must pass.

The checks use only the protocol (``lookup``, ``put``, ``schema``), so the same
suite runs against the memory store, Redis and PostgreSQL. Each check gets a
fresh store from the factory. Contract points that the protocol's docstrings
leave implicit, and that these checks pin down:

* ``put`` of ``None`` stores a missing value, replacing any earlier value.
* A put that raises ``SignalStoreError`` writes nothing.
* The columns of a :class:`~bastion.core.SignalBatch` are keyed by the
  requested keys (without namespace); number and bool columns are ``float64``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from bastion.core import FieldType, SignalBatch, SignalStore, SignalStoreError

StoreFactory = Callable[[], SignalStore]


def check_signal_store(factory: StoreFactory) -> None:
    """Run every conformance check against stores made by *factory*.

    Args:
        factory: Returns a new, empty store on each call.

    Raises:
        AssertionError: On the first failed check, naming it and what went wrong.
    """
    for check in CHECKS:
        try:
            check(factory())
        except AssertionError as error:
            raise AssertionError(f"check_signal_store: {check.__name__}: {error}") from error


def _values(batch: SignalBatch, key: str) -> list[object]:
    """A column as plain Python values, with ``None`` for missing numbers too."""
    column = batch.columns[key]
    return [None if isinstance(v, float) and math.isnan(v) else v for v in column.tolist()]


def _expect_error(action: Callable[[], object], what: str) -> SignalStoreError:
    try:
        action()
    except SignalStoreError as error:
        return error
    raise AssertionError(f"{what} did not raise SignalStoreError")


def _seed(store: SignalStore) -> None:
    store.put(
        "item",
        ["a", "b", "c"],
        {"num": [1.5, -2, 0.0], "flag": [True, False, True], "label": ["x", "y", ""]},
    )


def empty_store_lookup_is_all_missing(store: SignalStore) -> None:
    """A new store knows no ids."""
    batch = store.lookup("item", ["a", "b", "a"], [])
    assert batch.found.dtype == np.bool_, f"found has dtype {batch.found.dtype}, not bool"
    assert batch.found.tolist() == [False] * 3, f"found is {batch.found.tolist()}"
    assert list(batch.ids) == ["a", "b", "a"], f"ids are {list(batch.ids)}"
    assert batch.entity == "item", f"entity is {batch.entity!r}"
    store.put("item", ["x"], {"num": [1.0]})
    batch = store.lookup("item", ["y", "z"], ["num"])
    assert batch.found.tolist() == [False, False], f"unknown ids found: {batch.found.tolist()}"
    assert _values(batch, "num") == [None, None], f"unknown ids have {_values(batch, 'num')}"


def put_then_lookup_round_trips(store: SignalStore) -> None:
    """Numbers come back as float64, bools as 1.0 / 0.0, strings as str."""
    _seed(store)
    batch = store.lookup("item", ["a", "b", "c"], ["num", "flag", "label"])
    assert set(batch.columns) == {"num", "flag", "label"}, f"columns {sorted(batch.columns)}"
    for key in ("num", "flag"):
        dtype = batch.columns[key].dtype
        assert dtype == np.float64, f"{key} has dtype {dtype}, not float64"
    assert _values(batch, "num") == [1.5, -2.0, 0.0], f"num is {_values(batch, 'num')}"
    assert _values(batch, "flag") == [1.0, 0.0, 1.0], f"flag is {_values(batch, 'flag')}"
    labels = _values(batch, "label")
    assert labels == ["x", "y", ""], f"label is {labels}"
    assert all(type(v) is str for v in labels), f"labels are not str: {labels!r}"
    assert batch.found.tolist() == [True] * 3, f"found is {batch.found.tolist()}"


def rows_follow_requested_ids(store: SignalStore) -> None:
    """Order, duplicates and unknown ids are kept as requested."""
    _seed(store)
    ids = ["c", "nope", "a", "c", "b"]
    batch = store.lookup("item", ids, ["num", "label"])
    assert list(batch.ids) == ids, f"ids are {list(batch.ids)}"
    assert _values(batch, "num") == [0.0, None, 1.5, 0.0, -2.0], f"num is {_values(batch, 'num')}"
    assert _values(batch, "label") == ["", None, "x", "", "y"], f"label {_values(batch, 'label')}"
    assert batch.found.tolist() == [True, False, True, True, True], f"found {batch.found.tolist()}"


def put_updates_existing_ids(store: SignalStore) -> None:
    """A second put of an id replaces the columns it names and keeps the others."""
    _seed(store)
    store.put("item", ["b", "d"], {"num": [9.0, 4.0], "label": ["z", "w"]})
    batch = store.lookup("item", ["a", "b", "c", "d"], ["num", "flag", "label"])
    assert _values(batch, "num") == [1.5, 9.0, 0.0, 4.0], f"num is {_values(batch, 'num')}"
    assert _values(batch, "flag") == [1.0, 0.0, 1.0, None], f"flag is {_values(batch, 'flag')}"
    assert _values(batch, "label") == ["x", "z", "", "w"], f"label is {_values(batch, 'label')}"


def none_is_missing(store: SignalStore) -> None:
    """``None`` stores a missing value, also over an earlier one."""
    _seed(store)
    store.put("item", ["a", "d"], {"num": [None, None], "flag": [None, True], "label": [None, "q"]})
    batch = store.lookup("item", ["a", "d"], ["num", "flag", "label"])
    assert _values(batch, "num") == [None, None], f"num is {_values(batch, 'num')}"
    assert _values(batch, "flag") == [None, 1.0], f"flag is {_values(batch, 'flag')}"
    assert _values(batch, "label") == [None, "q"], f"label is {_values(batch, 'label')}"
    assert batch.found.tolist() == [True, True], f"found is {batch.found.tolist()}"


def new_columns_join_the_schema(store: SignalStore) -> None:
    """A put may add columns; their type is inferred from the first present value."""
    _seed(store)
    store.put("item", ["a"], {"score": [None], "is_ad": [False], "lang": ["en"]})
    store.put("item", ["b"], {"score": [3]})
    expected = {
        "item.num": FieldType.NUMBER,
        "item.flag": FieldType.BOOL,
        "item.label": FieldType.STRING,
        "item.is_ad": FieldType.BOOL,
        "item.lang": FieldType.STRING,
    }
    for name, ftype in expected.items():
        signal_field = store.schema.get(name)
        assert signal_field is not None, f"{name} is not in the schema {store.schema.names()}"
        assert signal_field.type is ftype, f"{name} is a {signal_field.type}, not {ftype}"
    batch = store.lookup("item", ["a", "b", "c"], ["score", "is_ad", "lang"])
    assert _values(batch, "score") == [None, 3.0, None], f"score is {_values(batch, 'score')}"
    assert _values(batch, "is_ad") == [0.0, None, None], f"is_ad is {_values(batch, 'is_ad')}"
    assert _values(batch, "lang") == ["en", None, None], f"lang is {_values(batch, 'lang')}"


def bad_puts_raise_and_change_nothing(store: SignalStore) -> None:
    """A wrong type or length raises ``SignalStoreError`` before anything is written."""
    _seed(store)
    bad_puts: list[tuple[Sequence[str], dict[str, Sequence[object]]]] = [
        (["a", "new"], {"label": ["changed", "n"], "num": [5.0, "oops"]}),
        (["a", "new"], {"num": [5.0, 6.0], "flag": [True, 1]}),
        (["a", "new"], {"num": [5.0, 6.0], "label": ["changed", 7]}),
        (["a", "new"], {"num": [5.0, 6.0], "extra": [1.0]}),
    ]
    for ids, columns in bad_puts:
        error = _expect_error(partial(store.put, "item", ids, columns), f"put({columns!r})")
        bad_key = next(iter(reversed(columns)))
        assert bad_key in str(error), f"error {str(error)!r} does not name column {bad_key!r}"
    batch = store.lookup("item", ["a", "new"], ["num", "flag", "label"])
    assert _values(batch, "num") == [1.5, None], (
        f"a failed put changed num: {_values(batch, 'num')}"
    )
    assert _values(batch, "label") == ["x", None], f"a failed put changed label: {batch.columns}"
    assert batch.found.tolist() == [True, False], "a failed put created id 'new'"
    assert "item.extra" not in store.schema, "a failed put added its column to the schema"
    error = _expect_error(lambda: store.put("item", ["c"], {"num": ["7"]}), "put of '7' to num")
    assert "'c'" in str(error), f"error {str(error)!r} does not name id 'c'"


def unknown_keys_raise(store: SignalStore) -> None:
    """Looking up a field the store does not have is an error, not missing data."""
    _seed(store)
    error = _expect_error(lambda: store.lookup("item", ["a"], ["num", "nope"]), "lookup of 'nope'")
    assert "nope" in str(error), f"error {str(error)!r} does not name the key"
    _expect_error(lambda: store.lookup("creator", ["a"], ["num"]), "creator lookup of item key")


def namespaces_are_independent(store: SignalStore) -> None:
    """``item`` and ``creator`` have their own ids, columns and types."""
    store.put("item", ["x"], {"risk": [0.5]})
    store.put("creator", ["x", "y"], {"risk": ["high", "low"]})
    assert store.schema.get("item.risk") is not None, "item.risk missing from the schema"
    item_risk, creator_risk = store.schema.get("item.risk"), store.schema.get("creator.risk")
    assert item_risk is not None and item_risk.type is FieldType.NUMBER, f"item.risk {item_risk}"
    assert creator_risk is not None and creator_risk.type is FieldType.STRING, f"{creator_risk}"
    items = store.lookup("item", ["x", "y"], ["risk"])
    creators = store.lookup("creator", ["x", "y"], ["risk"])
    assert _values(items, "risk") == [0.5, None], f"item risk is {_values(items, 'risk')}"
    assert items.found.tolist() == [True, False], "creator id 'y' leaked into items"
    assert _values(creators, "risk") == ["high", "low"], f"creator risk {_values(creators, 'risk')}"


def bulk_put_and_slate_lookup(store: SignalStore) -> None:
    """10k rows in one put, then a 500-id slate with some unknown ids."""
    count = 10_000
    ids = [f"i{i}" for i in range(count)]
    store.put(
        "item",
        ids,
        {"v": [float(i) for i in range(count)], "w": [i % 2 == 0 for i in range(count)]},
    )
    rng = np.random.default_rng(7)
    picks = rng.integers(0, count + 100, 500).tolist()  # about 1% unknown
    batch = store.lookup("item", [f"i{p}" for p in picks], ["v", "w"])
    expected_v = [float(p) if p < count else None for p in picks]
    expected_w = [float(p % 2 == 0) if p < count else None for p in picks]
    assert _values(batch, "v") == expected_v, "bulk lookup returned wrong values for v"
    assert _values(batch, "w") == expected_w, "bulk lookup returned wrong values for w"
    assert batch.found.tolist() == [p < count for p in picks], "bulk lookup found is wrong"


def concurrent_lookups_never_see_torn_rows(store: SignalStore) -> None:
    """Readers on 4 threads, while a writer puts rows with ``a == b``, always see ``a == b``."""
    pool = [f"r{i}" for i in range(2_000)]
    store.put("item", pool[:1_000], {"a": [0.0] * 1_000, "b": [0.0] * 1_000})
    stop = threading.Event()
    failures: list[str] = []

    def read(seed: int) -> None:
        rng = np.random.default_rng(seed)
        while not stop.is_set() and not failures:
            ids = [pool[i] for i in rng.integers(0, len(pool), 500)]
            try:
                batch = store.lookup("item", ids, ["a", "b"])
            except Exception as error:  # any error in a reader fails the check
                failures.append(f"lookup raised {error!r}")
                return
            a, b = batch.columns["a"], batch.columns["b"]
            torn = ~((a == b) | (np.isnan(a) & np.isnan(b)))
            if torn.any():
                i = int(np.flatnonzero(torn)[0])
                failures.append(f"torn row {ids[i]!r}: a={a[i]!r} b={b[i]!r}")

    readers = [threading.Thread(target=read, args=(seed,)) for seed in range(4)]
    for reader in readers:
        reader.start()
    try:
        rng = np.random.default_rng(99)
        deadline = time.monotonic() + 1.0
        round_ = 0
        while time.monotonic() < deadline and not failures:
            round_ += 1
            ids = [pool[i] for i in rng.integers(0, len(pool), 1_500)]
            value = [float(round_)] * len(ids)
            store.put("item", ids, {"a": value, "b": value})
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not failures, failures[0]


CHECKS: tuple[Callable[[SignalStore], None], ...] = (
    empty_store_lookup_is_all_missing,
    put_then_lookup_round_trips,
    rows_follow_requested_ids,
    put_updates_existing_ids,
    none_is_missing,
    new_columns_join_the_schema,
    bad_puts_raise_and_change_nothing,
    unknown_keys_raise,
    namespaces_are_independent,
    bulk_put_and_slate_lookup,
    concurrent_lookups_never_see_torn_rows,
)
"""Every check, in the order :func:`check_signal_store` runs them."""
