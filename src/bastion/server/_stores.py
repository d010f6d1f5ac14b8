"""Signal-store backends the server can open, by the name ``signals.store`` gives.

A backend is a function from :class:`SignalsConfig` to a
:class:`~bastion.core.SignalStore`, registered under a name with
:func:`register_signal_store`. Three are built in: ``memory`` (files loaded
into :class:`~bastion.stores.MemorySignalStore`), ``snapshot`` (a memory-store
snapshot) and ``redis`` (:class:`~bastion.stores.RedisSignalStore`, shared by
every replica). A store with a ``healthy() -> bool`` method becomes a
readiness probe.
"""

from __future__ import annotations

from collections.abc import Callable

from bastion.core import SignalStore
from bastion.server._config import ConfigError, SignalsConfig

SignalStoreFactory = Callable[[SignalsConfig], SignalStore]

_FACTORIES: dict[str, SignalStoreFactory] = {}


def register_signal_store(
    name: str,
) -> Callable[[SignalStoreFactory], SignalStoreFactory]:
    """Register a signal-store backend under *name* (a decorator).

    Example::

        @register_signal_store("mine")
        def _mine(config: SignalsConfig) -> SignalStore:
            return MyStore(config.url)
    """

    def register(factory: SignalStoreFactory) -> SignalStoreFactory:
        _FACTORIES[name] = factory
        return factory

    return register


def signal_store_names() -> tuple[str, ...]:
    """The registered backend names."""
    return tuple(sorted(_FACTORIES))


def open_signal_store(config: SignalsConfig) -> SignalStore:
    """Open the store *config* names.

    Raises:
        ConfigError: No such backend, or a setting it needs is missing.
        SignalStoreError: The backend could not load its data.
    """
    factory = _FACTORIES.get(config.store)
    if factory is None:
        raise ConfigError(
            f"signals.store: unknown store {config.store!r}; "
            f"one of {', '.join(signal_store_names())}"
        )
    return factory(config)


@register_signal_store("memory")
def _memory(config: SignalsConfig) -> SignalStore:
    from bastion.stores import MemorySignalStore, load_signals

    if config.items is None and config.creators is None:
        raise ConfigError("signals: the memory store needs an items file, a creators file or both")
    store = MemorySignalStore()
    if config.items is not None:
        load_signals(store, config.items, entity="item")
    if config.creators is not None:
        load_signals(store, config.creators, entity="creator")
    return store


@register_signal_store("snapshot")
def _snapshot(config: SignalsConfig) -> SignalStore:
    from bastion.stores import MemorySignalStore

    if config.snapshot is None:
        raise ConfigError("signals.snapshot: the snapshot store needs a snapshot directory")
    return MemorySignalStore.open(config.snapshot)


@register_signal_store("redis")
def _redis(config: SignalsConfig) -> SignalStore:
    from bastion.stores import RedisSignalStore

    if not config.url:
        raise ConfigError("signals.url: the redis store needs a URL (redis://host:port/db)")
    return RedisSignalStore(url=config.url, prefix=config.prefix)
