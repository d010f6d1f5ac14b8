"""RedisSignalStore against a redis-server owned by each test."""

from __future__ import annotations

import itertools
import math
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.core import (
    FieldType,
    ManualClock,
    SignalField,
    SignalSchema,
    SignalStore,
    SignalStoreError,
)
from bastion.stores import MemorySignalStore, RedisSignalStore, load_signals
from bastion.testing import check_signal_store
from tests.redis_server import RedisServer, free_port

_prefixes = itertools.count()

StoreFactory = Callable[..., RedisSignalStore]


@pytest.fixture
def make_store(redis_server: RedisServer) -> Iterator[StoreFactory]:
    """Stores on the test's server, each under a prefix of its own unless given one."""
    made: list[RedisSignalStore] = []

    def make(**options: object) -> RedisSignalStore:
        options.setdefault("prefix", f"t{next(_prefixes)}")
        options.setdefault("timeout", 2.0)
        store = RedisSignalStore(redis_server.url, **options)  # type: ignore[arg-type]
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def admin(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


def values(batch_column: np.ndarray) -> list[object]:
    return [None if isinstance(v, float) and math.isnan(v) else v for v in batch_column.tolist()]


def command_calls(admin: redis.Redis) -> dict[str, int]:
    """Calls per command since the last CONFIG RESETSTAT, without the bookkeeping ones."""
    stats = admin.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): int(stat["calls"])
        for name, stat in stats.items()
        if not name.startswith(("cmdstat_info", "cmdstat_config"))
    }


def test_redis_store_passes_the_conformance_suite(make_store: StoreFactory) -> None:
    check_signal_store(make_store)


def test_redis_store_satisfies_the_protocol(make_store: StoreFactory) -> None:
    assert isinstance(make_store(), SignalStore)


def test_a_slate_lookup_is_one_command(make_store: StoreFactory, admin: redis.Redis) -> None:
    store = make_store()
    ids = [f"item-{i}" for i in range(2_000)]
    rng = np.random.default_rng(3)
    numbers = {f"s{k}": rng.random(len(ids)) for k in range(10)}
    store.put("item", ids, numbers)
    slate = [ids[i] for i in rng.integers(0, len(ids), 500)]
    keys = list(numbers)
    store.lookup("item", slate[:5], keys)  # connect and read the schema first
    admin.config_resetstat()
    batch = store.lookup("item", slate, keys)
    assert command_calls(admin) == {"mget": 1}
    index = {item: i for i, item in enumerate(ids)}
    for key in keys:
        assert batch.columns[key].tolist() == [numbers[key][index[s]] for s in slate]

    store.put("item", ids[:10], {"lang": ["en"] * 10})
    store.lookup("item", slate[:5], ["lang"])
    admin.config_resetstat()
    batch = store.lookup("item", ids[5:15], [*keys, "lang"])
    # rows and strings in one transaction: sent as one pipeline, one round trip
    assert command_calls(admin) == {"multi": 1, "mget": 1, "hmget": 1, "exec": 1}
    assert values(batch.columns["lang"]) == ["en"] * 5 + [None] * 5


def test_bulk_load_of_100k_rows_goes_in_pipelined_chunks(
    make_store: StoreFactory, admin: redis.Redis, tmp_path: Path
) -> None:
    count = 100_000
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "id": [f"v{i:06d}" for i in range(count)],
            **{f"s{k}": rng.random(count) for k in range(8)},
            "adult": rng.random(count) < 0.1,
            "lang": rng.choice(["en", "fr", "de"], count).tolist(),
        }
    )
    path = tmp_path / "items.parquet"
    pq.write_table(table, path)
    store = make_store(chunk=4096)
    admin.config_resetstat()
    assert load_signals(store, path) == count
    calls = command_calls(admin)
    chunks = math.ceil(count / 4096)
    assert calls["eval"] == chunks, "one script call per chunk writes all number and bool fields"
    assert calls["hset"] == chunks + 1, (
        "one HSET per chunk for the string field, one for the schema"
    )
    assert calls["exec"] == chunks
    memory = MemorySignalStore()
    load_signals(memory, path)
    slate = [f"v{i:06d}" for i in rng.integers(0, count + 500, 500)]
    keys = [*(f"s{k}" for k in range(8)), "adult", "lang"]
    got, expected = store.lookup("item", slate, keys), memory.lookup("item", slate, keys)
    assert got.found.tolist() == expected.found.tolist()
    for key in keys:
        assert values(got.columns[key]) == values(expected.columns[key]), key
    assert store.schema == memory.schema


def test_the_schema_is_shared_between_replicas(make_store: StoreFactory) -> None:
    writer = make_store(prefix="shared")
    reader = make_store(prefix="shared")
    writer.put("item", ["a", "b"], {"hate": [0.5, 0.9]})
    assert values(reader.lookup("item", ["b", "a"], ["hate"]).columns["hate"]) == [0.9, 0.5]
    writer.put("item", ["a"], {"lang": ["en"], "adult": [True]})
    # the reader has not seen the new fields: its next lookup notices the schema changed
    batch = reader.lookup("item", ["a", "b"], ["hate", "lang", "adult"])
    assert values(batch.columns["lang"]) == ["en", None]
    assert values(batch.columns["adult"]) == [1.0, None]
    assert reader.schema == writer.schema
    stale = make_store(prefix="shared")
    writer.put("item", ["a"], {"views": [12]})
    assert stale.schema.get("item.views") is not None


def test_replicas_cannot_add_one_field_with_two_types(make_store: StoreFactory) -> None:
    first = make_store(prefix="typed")
    second = make_store(prefix="typed")
    assert second.schema == SignalSchema()
    first.put("item", ["a"], {"risk": [0.2]})
    with pytest.raises(SignalStoreError, match=r"item\.risk.*'high'.*'a'.*a number field"):
        second.put("item", ["a"], {"risk": ["high"]})
    assert values(second.lookup("item", ["a"], ["risk"]).columns["risk"]) == [0.2]


def test_declared_fields_are_added_to_the_shared_schema(make_store: StoreFactory) -> None:
    schema = SignalSchema.of(
        [
            SignalField("item.hate", FieldType.NUMBER, default=0.0, description="hate score"),
            SignalField("creator.tier", FieldType.STRING),
        ]
    )
    declaring = make_store(prefix="declared", schema=schema)
    assert declaring.schema == schema
    batch = declaring.lookup("item", ["x"], ["hate"])
    assert values(batch.columns["hate"]) == [None]
    other = make_store(prefix="declared")
    assert set(other.schema.names()) == {"item.hate", "creator.tier"}
    with pytest.raises(SignalStoreError, match="a number field"):
        other.put("item", ["x"], {"hate": ["very"]})


def test_lookups_degrade_to_missing_while_redis_is_down_and_resume(
    make_store: StoreFactory, redis_server: RedisServer
) -> None:
    clock = ManualClock()
    store = make_store(clock=clock, retry_after=5.0)
    store.put("item", ["a", "b"], {"hate": [0.5, 0.9], "lang": ["en", "fr"]})
    assert store.healthy()
    redis_server.kill()
    batch = store.lookup("item", ["a", "b"], ["hate", "lang"])
    assert batch.found.tolist() == [False, False]
    assert values(batch.columns["hate"]) == [None, None]
    assert batch.columns["hate"].dtype == np.float64
    assert values(batch.columns["lang"]) == [None, None]
    assert store.failures == 1
    assert "ConnectionError" in (store.last_error or "")
    assert not store.healthy()
    redis_server.start()  # AOF: the data survives the crash
    for _ in range(3):  # during the back-off no lookup tries the server
        assert not store.lookup("item", ["a"], ["hate"]).found.any()
    assert not store.healthy()
    assert store.failures == 1
    assert store.degraded_lookups == 4
    clock.advance(5.0)
    batch = store.lookup("item", ["b", "a"], ["hate", "lang"])
    assert batch.found.tolist() == [True, True]
    assert values(batch.columns["lang"]) == ["fr", "en"]
    assert store.healthy()
    with pytest.raises(SignalStoreError, match="no field item.nope"):
        store.lookup("item", ["a"], ["nope"])


def test_a_hung_redis_costs_one_timeout_then_lookups_skip_it(
    make_store: StoreFactory, redis_server: RedisServer
) -> None:
    clock = ManualClock()
    store = make_store(clock=clock, timeout=0.2, retry_after=1.0)
    store.put("item", ["a"], {"hate": [0.5]})
    assert store.lookup("item", ["a"], ["hate"]).found.all()
    assert redis_server.process is not None
    redis_server.process.send_signal(signal.SIGSTOP)  # accepts connections, never answers
    try:
        assert not store.lookup("item", ["a"], ["hate"]).found.any()
        assert "Timeout" in (store.last_error or "")
        for _ in range(5):
            assert not store.lookup("item", ["a"], ["hate"]).found.any()
        assert store.failures == 1, "during the back-off nothing waits on the hung server"
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    clock.advance(1.0)
    assert store.lookup("item", ["a"], ["hate"]).found.all()


def test_a_store_that_starts_while_redis_is_down_joins_when_it_answers(
    make_store: StoreFactory, redis_server: RedisServer
) -> None:
    make_store(prefix="late").put("item", ["a"], {"hate": [0.5]})
    redis_server.kill()
    clock = ManualClock()
    late = make_store(prefix="late", clock=clock, retry_after=1.0)
    assert late.schema == SignalSchema()
    assert values(late.lookup("item", ["a"], ["hate"]).columns["hate"]) == [None]
    redis_server.start()
    clock.advance(1.0)
    assert values(late.lookup("item", ["a"], ["hate"]).columns["hate"]) == [0.5]
    assert "item.hate" in late.schema


def test_puts_raise_while_redis_is_down(
    make_store: StoreFactory, redis_server: RedisServer
) -> None:
    store = make_store()
    store.put("item", ["a"], {"hate": [0.5]})
    redis_server.kill()
    with pytest.raises(SignalStoreError, match="cannot write item signals to Redis at redis://"):
        store.put("item", ["a"], {"hate": [0.7]})
    assert not store.healthy()


def test_clear_deletes_only_this_prefix(make_store: StoreFactory, admin: redis.Redis) -> None:
    mine, theirs = make_store(prefix="mine"), make_store(prefix="mine2")
    mine.put("item", ["a"], {"hate": [0.5], "lang": ["en"]})
    theirs.put("item", ["a"], {"hate": [0.1]})
    mine.clear()
    assert admin.keys("mine:*") == []
    assert mine.schema == SignalSchema()
    assert not mine.lookup("item", ["a"], []).found.any()
    assert values(theirs.lookup("item", ["a"], ["hate"]).columns["hate"]) == [0.1]


def test_the_password_never_appears_in_errors() -> None:
    store = RedisSignalStore(f"redis://user:sekrit@127.0.0.1:{free_port()}/0", timeout=0.2)
    with pytest.raises(SignalStoreError) as raised:
        store.put("item", ["a"], {"hate": [0.5]})
    assert "sekrit" not in str(raised.value)
    assert "sekrit" not in (store.last_error or "")


scalars = st.one_of(
    st.none(),
    st.floats(allow_nan=False, width=64),
)
texts = st.text(max_size=12)  # any code point, lone surrogates included


@st.composite
def puts(draw: st.DrawFn) -> list[tuple[list[str], dict[str, list[object]]]]:
    """A few puts of the same three fields (a number, a bool, a string) over overlapping ids."""
    id_pool = draw(st.lists(texts, min_size=1, max_size=8, unique=True))
    out = []
    for _ in range(draw(st.integers(1, 3))):
        ids = draw(st.lists(st.sampled_from(id_pool), min_size=1, max_size=8))
        size = len(ids)
        columns: dict[str, list[object]] = {}
        if draw(st.booleans()):
            columns["num"] = draw(st.lists(scalars, min_size=size, max_size=size))
        if draw(st.booleans()):
            bools = st.one_of(st.none(), st.booleans())
            columns["flag"] = draw(st.lists(bools, min_size=size, max_size=size))
        if draw(st.booleans()):
            strings = st.one_of(st.none(), texts)
            columns["label"] = draw(st.lists(strings, min_size=size, max_size=size))
        out.append((ids, columns))
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(puts(), st.lists(texts, max_size=6))
def test_redis_store_matches_the_memory_store(
    make_store: StoreFactory,
    writes: list[tuple[list[str], dict[str, list[object]]]],
    extra: list[str],
) -> None:
    store, memory = make_store(), MemorySignalStore()
    for ids, columns in writes:
        try:
            memory.put("item", ids, columns)  # type: ignore[arg-type]
        except SignalStoreError:  # e.g. strings into a field typed by an earlier all-None put
            with pytest.raises(SignalStoreError):
                store.put("item", ids, columns)  # type: ignore[arg-type]
            continue
        store.put("item", ids, columns)  # type: ignore[arg-type]
    known = [f.key for f in memory.schema]
    slate = [i for ids, _ in writes for i in ids] + extra
    got, expected = store.lookup("item", slate, known), memory.lookup("item", slate, known)
    assert got.found.tolist() == expected.found.tolist()
    for key in known:
        mine, theirs = got.columns[key], expected.columns[key]
        if mine.dtype == np.float64:
            assert np.array_equal(
                mine.view(np.uint64)[~np.isnan(mine)], theirs.view(np.uint64)[~np.isnan(theirs)]
            )
            assert np.array_equal(np.isnan(mine), np.isnan(theirs))
        else:
            assert mine.tolist() == theirs.tolist()
    assert store.schema == memory.schema
