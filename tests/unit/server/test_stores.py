"""Signal-store backends by name: built-in ones and one registered by a plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.core import SignalStore, SignalStoreError
from bastion.server import (
    ConfigError,
    SignalsConfig,
    open_signal_store,
    register_signal_store,
    signal_store_names,
)
from bastion.server._stores import _FACTORIES
from bastion.stores import MemorySignalStore

from .conftest import CREATORS, ITEMS


@pytest.fixture
def plugin() -> Iterator[list[SignalsConfig]]:
    seen: list[SignalsConfig] = []

    @register_signal_store("test/mine")
    def _mine(config: SignalsConfig) -> SignalStore:
        seen.append(config)
        return MemorySignalStore()

    yield seen
    del _FACTORIES["test/mine"]


def test_built_in_backends() -> None:
    assert {"memory", "snapshot", "redis"} <= set(signal_store_names())


def test_memory_loads_items_and_creators() -> None:
    store = open_signal_store(SignalsConfig(items=ITEMS, creators=CREATORS))
    assert "item.misinfo" in store.schema.fields and "creator.verified" in store.schema.fields


def test_snapshot_opens_a_saved_store(tmp_path: Path) -> None:
    open_signal_store(SignalsConfig(items=ITEMS)).save(tmp_path / "snap")  # type: ignore[attr-defined]
    store = open_signal_store(SignalsConfig(store="snapshot", snapshot=tmp_path / "snap"))
    assert "item.misinfo" in store.schema.fields


def test_a_registered_backend_is_used(plugin: list[SignalsConfig]) -> None:
    config = SignalsConfig(store="test/mine", url="mine://x")
    assert isinstance(open_signal_store(config), MemorySignalStore)
    assert plugin == [config]


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        (SignalsConfig(store="nope"), ConfigError, "unknown store 'nope'; one of"),
        (SignalsConfig(), ConfigError, "the memory store needs an items file"),
        (SignalsConfig(store="snapshot"), ConfigError, "needs a snapshot directory"),
        (SignalsConfig(store="redis"), ConfigError, "redis"),
        (SignalsConfig(items=Path("missing.jsonl")), SignalStoreError, "missing.jsonl"),
        (SignalsConfig(store="snapshot", snapshot=Path("missing")), SignalStoreError, "missing"),
    ],
)
def test_bad_store_settings(config: SignalsConfig, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        open_signal_store(config)
