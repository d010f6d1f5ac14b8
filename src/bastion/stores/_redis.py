"""A :class:`~bastion.core.SignalStore` in Redis, shared by every guard replica.

Layout (``_redis_codec.py`` has the details): one string per id holding its
number and bool values at fixed 8-byte slots, one hash per string field, and
the schema in a hash of its own, so every replica sees the same fields.

Why this layout. A slate lookup is one ``MGET`` of the slate's row keys (plus,
in the same ``MULTI``, one ``HMGET`` per string field read), and NumPy decodes
the rows in one pass. ``benchmarks/redis_signal_store.py --layouts``, 200k
items x 10 number signals, random 500-id slates, decoding included, p50 / p99
per lookup on a 2-core machine under other load (load average 1.7; absolute
figures vary by 2x between runs there, the ranking does not):

==============================================  =================
one string per id, one ``MGET`` (chosen)        1.8 ms / 7.1 ms
one hash per id, 500 pipelined ``HMGET``        17.5 ms / 136 ms
one hash per id, a Lua script of 500 ``HMGET``  8.2 ms / 20 ms
one hash per signal, 10 ``HMGET`` of 500 ids    14.9 ms / 52 ms
==============================================  =================

A hash per id spends its time in redis-py, queueing and parsing 500 commands;
a hash per signal in the server, probing 5,000 fields of 200k-entry hash
tables; the script in the interpreter. One ``MGET`` is one command and 500 key
probes. Binary slots rather than text decode ~10x faster (``np.frombuffer``
against ``float()`` per value: ~14 us against ~130 us per 500 values), and
the rows take ~195 MB per million items with 10 signals; with the same ids, a
hash per id takes ~1.4x that and a hash per signal ~4.7x.

Failure semantics. Lookups never raise because Redis is unreachable: the
store logs the failure, counts it, and answers with every value missing
(``found`` all False), which the guard counts as missing signals, so the
bundle's ``missing_signal_rate`` breaker and the fallback it names take over.
For ``retry_after`` seconds after a failure, lookups do not even try (they
answer at once); then one lookup tries again, and on success all resume.
:meth:`RedisSignalStore.healthy` is False meanwhile (readiness). Writes do
raise :class:`~bastion.core.SignalStoreError`: data must not be lost quietly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bastion.core import (
    ENTITIES,
    Clock,
    Entity,
    FieldType,
    SignalBatch,
    SignalSchema,
    SignalStoreError,
    SystemClock,
)
from bastion.stores._columns import ColumnValues
from bastion.stores._redis_client import Outage, connect, redis_errors, safe_url
from bastion.stores._redis_codec import Keys, Layout, build_layout, decode_entries
from bastion.stores._redis_put import check_shape, write
from bastion.stores._redis_read import (
    check_keys,
    decode_batch,
    entity_types,
    fetch,
    missing_batch,
)

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)


class RedisSignalStore:
    """Item and creator signals in Redis; see the module docstring for layout and failures.

    Args:
        url: The server, as ``redis://[user:password@]host:port/db``.
        prefix: Every key starts with ``prefix:``; stores with different
            prefixes share nothing.
        schema: Fields to declare (``item.*`` and ``creator.*``); they are
            added to the shared schema at first contact, fixing their type.
        timeout: Socket timeout of lookups, in seconds: the longest a lookup
            waits on a server that does not answer.
        write_timeout: Socket timeout of puts (a chunk of a bulk load may take
            a while on a busy server).
        retry_after: Seconds during which lookups answer "missing" at once
            after a failure, before one tries the server again.
        chunk: Ids per transaction when writing; each is atomic, a larger put
            as a whole is not.
        clock: Monotonic time for the back-off.

    Example:
        >>> store = RedisSignalStore("redis://127.0.0.1:6379/0", prefix="feed")  # doctest: +SKIP
        >>> store.put("item", ["a"], {"hate": [0.9]})  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "bastion",
        schema: SignalSchema | None = None,
        timeout: float = 0.1,
        write_timeout: float = 10.0,
        retry_after: float = 0.5,
        chunk: int = 4096,
        clock: Clock | None = None,
    ) -> None:
        if not prefix:
            raise ValueError("a Redis store needs a non-empty key prefix")
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1, got {chunk}")
        for signal_field in schema or ():
            if signal_field.namespace not in ENTITIES:
                raise SignalStoreError(
                    f"a signal store holds item.* and creator.* fields only; "
                    f"{signal_field.name} is in namespace {signal_field.namespace!r}"
                )
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self.write_timeout = write_timeout
        self.chunk = chunk
        self._declared = schema or SignalSchema()
        self._outage = Outage("signal store", url, clock or SystemClock(), retry_after)
        self._layout = build_layout({}, None, self._declared)
        self._loaded = False
        self._lock = threading.Lock()
        self._reader: Redis | None = None
        self._writer: Redis | None = None
        self._errors: tuple[type[Exception], ...] = ()
        self._keys = Keys(prefix)

    # -- the SignalStore protocol -------------------------------------------------

    @property
    def schema(self) -> SignalSchema:
        """The shared schema (read from Redis at first use and when its version changes)."""
        return self._current().schema

    def lookup(self, entity: Entity, ids: Sequence[str], keys: Sequence[str]) -> SignalBatch:
        """Values of *keys* for *ids*, in order, in one round trip; all missing while Redis is down.

        Raises:
            SignalStoreError: *entity* is not ``item`` or ``creator``, or a key
                names no field of the shared schema.
        """
        layout = self._current()
        types = entity_types(layout, entity)
        if self._outage.skip():
            return missing_batch(layout, entity, ids, keys, self._outage)
        if any(key not in types for key in keys):
            if not self._refresh():
                return missing_batch(layout, entity, ids, keys, self._outage)
            layout = self._layout
            check_keys(layout, entity, keys)
        if len(ids) == 0:
            return missing_batch(layout, entity, ids, keys, None)
        reader = self._client("reader")
        for attempt in range(2):
            strings = [key for key in keys if layout.types[entity][key] is FieldType.STRING]
            try:
                version, rows, values = fetch(reader, self._keys, entity, ids, strings)
            except self._errors as error:
                self._outage.failed(error)
                return missing_batch(layout, entity, ids, keys, self._outage)
            self._outage.succeeded()
            if version == layout.version or attempt:
                break
            # Another replica added fields: read the schema, then the rows again with it.
            if not self._refresh():
                return missing_batch(layout, entity, ids, keys, self._outage)
            layout = self._layout
            check_keys(layout, entity, keys)
        return decode_batch(
            layout, entity, ids, keys, rows, dict(zip(strings, values, strict=True))
        )

    def put(self, entity: Entity, ids: Sequence[str], columns: Mapping[str, ColumnValues]) -> None:
        """Insert or update rows, in transactions of ``chunk`` ids; new fields join the schema.

        Values are checked before anything is written; ``None`` (or ``NaN``)
        stores a missing value; if an id repeats, its last occurrence wins.

        Raises:
            SignalStoreError: A value, column or id is bad (nothing is written),
                or Redis failed (chunks written before the failure stay).
        """
        entity_types(self._layout, entity)
        check_shape(entity, ids, columns)
        writer = self._client("writer")
        try:
            layout = write(
                writer, self._keys, entity, ids, columns, declared=self._declared, chunk=self.chunk
            )
        except self._errors as error:
            self._outage.failed(error)
            raise SignalStoreError(
                f"cannot write {entity} signals to Redis at {safe_url(self.url)}: {error}"
            ) from None
        self._outage.succeeded()
        self._layout = layout
        self._loaded = True

    # -- operations ---------------------------------------------------------------

    def healthy(self) -> bool:
        """Whether Redis answers now (a ``PING``); False during a back-off, without asking."""
        if self._outage.waiting():
            return False
        try:
            self._client("reader").ping()
        except self._errors as error:
            self._outage.failed(error)
            return False
        self._outage.succeeded()
        return True

    @property
    def failures(self) -> int:
        """How many calls to Redis have failed."""
        return self._outage.failures

    @property
    def degraded_lookups(self) -> int:
        """How many lookups answered all-missing because Redis was unreachable."""
        return self._outage.degraded

    @property
    def last_error(self) -> str | None:
        """The most recent failure, if any."""
        return self._outage.last_error

    def clear(self) -> None:
        """Delete every key of this store's prefix: signals and schema (declared fields return)."""
        writer = self._client("writer")
        pattern = "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix) + ":*"
        batch: list[bytes] = []
        for key in writer.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                writer.unlink(*batch)
                batch = []
        if batch:
            writer.unlink(*batch)
        self._layout = build_layout({}, None, self._declared)
        self._loaded = False

    def close(self) -> None:
        """Close the connections (a later call opens new ones)."""
        with self._lock:
            clients, self._reader, self._writer = (self._reader, self._writer), None, None
        for client in clients:
            if client is not None:
                client.close()

    # -- internals ----------------------------------------------------------------

    def _client(self, role: str) -> Redis:
        client = self._reader if role == "reader" else self._writer
        if client is not None:
            return client
        with self._lock:
            if self._reader is None or self._writer is None:
                self._errors = redis_errors()
                name = f"bastion-signals-{self.prefix}"
                self._reader = connect(self.url, timeout=self.timeout, name=name)
                self._writer = connect(self.url, timeout=self.write_timeout, name=name)
            return self._reader if role == "reader" else self._writer

    def _current(self) -> Layout:
        if not self._loaded and not self._outage.waiting():
            self._refresh()
        return self._layout

    def _refresh(self) -> bool:
        """Read the shared schema (declaring this store's fields at first); True if it worked."""
        reader = self._client("reader")
        try:
            with reader.pipeline(transaction=True) as pipe:
                pipe.hgetall(self._keys.schema)
                pipe.get(self._keys.version)
                raw, version = pipe.execute()
        except self._errors as error:
            self._outage.failed(error)
            return False
        self._outage.succeeded()
        self._layout = build_layout(decode_entries(raw), version, self._declared)
        if not self._loaded:
            self._loaded = True
            self._declare()
        return True

    def _declare(self) -> None:
        layout = self._layout
        for signal_field in self._declared:
            entity, key = signal_field.name.split(".", 1)
            have = layout.types[entity].get(key)
            if have is not None and have is not signal_field.type:
                logger.error(
                    "%s is declared %s here but is %s in Redis at %s; Redis wins",
                    signal_field.name,
                    signal_field.type,
                    have,
                    safe_url(self.url),
                )
        missing = [f for f in self._declared if f.key not in layout.types[f.namespace]]
        for entity in ENTITIES:
            keys: dict[str, list[object]] = {f.key: [] for f in missing if f.namespace == entity}
            if keys:
                try:
                    self.put(entity, [], keys)
                except SignalStoreError as error:
                    logger.warning("could not declare %s fields in Redis: %s", entity, error)
