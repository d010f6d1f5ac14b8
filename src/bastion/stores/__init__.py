"""Signal stores: where item and creator signals live between the detectors and the guard.

A signal store implements :class:`bastion.core.SignalStore`: ``put`` writes
columns of signal values for a batch of ids, ``lookup`` reads the values of a
whole slate in one call, and ``schema`` says which ``item.*`` and ``creator.*``
fields exist and their types. Backends differ in where the data lives and who
can share it; they all pass :func:`bastion.testing.check_signal_store`.

* :class:`MemorySignalStore`: columnar NumPy arrays in this process (1M items
  x 10 signals in ~120 MB), with on-disk snapshots
  (:meth:`MemorySignalStore.save` / :meth:`MemorySignalStore.open`) that
  reload 1M items in well under a second.
* :class:`RedisSignalStore`: one Redis server shared by every guard replica;
  a 500-id slate is one ``MGET``, bulk puts go in pipelined chunks, and while
  Redis is unreachable lookups answer "missing" at once (the bundle's
  missing-signal breaker and fallback take over) and ``healthy()`` is False.
* :func:`load_signals`: bulk-loads Parquet, CSV or JSON Lines into any store.

Other core protocols have backends here too: :class:`RedisBreakerSync` shares
circuit-breaker state between guard replicas (a
:class:`bastion.core.BreakerSync`). The ``redis`` client library is imported
only when a Redis backend first connects.
"""

from bastion.stores._loaders import load_signals
from bastion.stores._memory import MemorySignalStore
from bastion.stores._redis import RedisSignalStore
from bastion.stores._redis_breakers import RedisBreakerSync

__all__ = ["MemorySignalStore", "RedisBreakerSync", "RedisSignalStore", "load_signals"]
