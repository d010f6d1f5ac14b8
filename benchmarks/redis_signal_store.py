"""Slate lookups and bulk loads of ``RedisSignalStore``, and the key layouts it was chosen over.

What it measures, against a redis-server it starts on a free port (no
persistence) or the one ``--url`` names (under a fresh key prefix, deleted at
the end):

* ``load_rows_per_s``: one ``put`` of ``--items`` items (200k by default) x 10
  number signals, which the store writes in pipelined transactions of 4,096 ids.
* ``lookup_p50_us`` / ``lookup_p99_us``: one ``lookup`` of a 500-id slate
  (random ids, 1% unknown) x the 10 signals, decoded into NumPy columns:
  one ``MGET``, one round trip. ``lookup_strings_*``: the same plus one string
  field (a ``MULTI`` with the ``MGET`` and one ``HMGET``, still one round trip).
* ``mb_per_1m``: the server's ``used_memory`` growth for the load, per
  million items.
* ``--layouts`` adds the layouts the store's module docstring compares, each
  written directly with redis-py over the same data: a hash per id read with
  500 pipelined ``HMGET`` or with a Lua script, and a hash per signal read with
  10 ``HMGET`` over the slate. Each decodes into the same NumPy columns.

Run it from the repository root with the project's environment::

    python benchmarks/redis_signal_store.py              # about 30 s
    python benchmarks/redis_signal_store.py --layouts    # adds the comparison
    python benchmarks/redis_signal_store.py --quick      # smoke test

The last line of output is machine-readable::

    BENCH redis_signal_store items=... lookup_p50_us=... lookup_p99_us=...
    lookup_strings_p50_us=... lookup_strings_p99_us=... load_rows_per_s=... mb_per_1m=...

(on one line).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import redis
from rich.console import Console
from rich.table import Table

from bastion.stores import RedisSignalStore

SIGNALS = 10
SLATE = 500
KEYS = [f"s{k}" for k in range(SIGNALS)]
_NAN = struct.pack("<d", math.nan)


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed; pass --url")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", directory]
        args += ["--save", "", "--appendonly", "no"]
        process = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL)
        try:
            client = redis.Redis(port=port)
            for _ in range(500):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.01)
            client.close()
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait()


def timed(run: Callable[[list[str]], object], slates: list[list[str]]) -> tuple[float, float]:
    """Median and p99 in microseconds of *run* over *slates*."""
    times = []
    for slate in slates:
        started = time.perf_counter_ns()
        run(slate)
        times.append((time.perf_counter_ns() - started) / 1_000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def _floats(column: list[bytes | None]) -> np.ndarray:
    return np.frombuffer(b"".join([_NAN if v is None else v for v in column]), dtype="<f8")


def layouts(
    client: redis.Redis, ids: list[str], data: np.ndarray, slates: list[list[str]]
) -> list[tuple[str, float, float]]:
    """Time the alternative layouts over the same data; values stored as 8-byte doubles."""
    packed = [[struct.pack("<d", v) for v in data[k].tolist()] for k in range(SIGNALS)]
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        pipe = client.pipeline(transaction=False)
        pipe.sadd("L:ids", *chunk)
        for k, key in enumerate(KEYS):
            pipe.hset(
                f"L:c:{key}",
                mapping=dict(zip(chunk, packed[k][start : start + 5_000], strict=True)),
            )
        for i, item in enumerate(chunk, start):
            row: dict[str, bytes] = {key: packed[k][i] for k, key in enumerate(KEYS)}
            pipe.hset(f"L:r:{item}", mapping={".": b"", **row})
        pipe.execute()
    per_id = client.register_script(
        "local out, n = {}, 0 "
        "for i, key in ipairs(KEYS) do local row = redis.call('HMGET', key, unpack(ARGV)) "
        "for j = 1, #row do n = n + 1; out[n] = row[j] end end return out"
    )

    def hash_per_id_pipeline(slate: list[str]) -> object:
        pipe = client.pipeline(transaction=False)
        for item in slate:
            pipe.hmget(f"L:r:{item}", [".", *KEYS])
        rows = pipe.execute()
        found = np.array([row[0] is not None for row in rows])
        return found, {key: _floats([row[k + 1] for row in rows]) for k, key in enumerate(KEYS)}

    def hash_per_id_lua(slate: list[str]) -> object:
        flat = per_id(keys=[f"L:r:{item}" for item in slate], args=[".", *KEYS])
        width = SIGNALS + 1
        found = np.array([v is not None for v in flat[0::width]])
        return found, {key: _floats(flat[k + 1 :: width]) for k, key in enumerate(KEYS)}

    def hash_per_signal(slate: list[str]) -> object:
        pipe = client.pipeline(transaction=False)
        pipe.smismember("L:ids", slate)
        for key in KEYS:
            pipe.hmget(f"L:c:{key}", slate)
        found, *columns = pipe.execute()
        return np.array(found, dtype=bool), {
            k: _floats(c) for k, c in zip(KEYS, columns, strict=True)
        }

    rows = []
    for name, run in (
        ("hash per id, 500 pipelined HMGET", hash_per_id_pipeline),
        ("hash per id, Lua script of 500 HMGET", hash_per_id_lua),
        ("hash per signal, 10 HMGET", hash_per_signal),
    ):
        run(slates[0])
        rows.append((name, *timed(run, slates)))
    return rows


def main() -> None:
    """Parse the arguments, start a server unless given one, and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="use this Redis server instead of starting one")
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--layouts", action="store_true", help="compare other key layouts")
    parser.add_argument("--quick", action="store_true", help="20k items, 200 lookups")
    args = parser.parse_args()
    if args.quick:
        args.items, args.lookups = 20_000, 200
    console = Console()
    load = os.getloadavg()[0]
    console.print(f"redis_signal_store: {args.items:,} items x {SIGNALS} number signals")
    console.print(f"load average {load:.2f} on {os.cpu_count()} CPUs (timings assume quiet)")
    with redis_server() if args.url is None else _given(args.url) as url:
        run(console, url, args)


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def run(console: Console, url: str, args: argparse.Namespace) -> None:
    """Load, time the lookups (and the other layouts), print the table and the BENCH line."""
    client = redis.Redis.from_url(url)
    prefix = f"bench{time.time_ns()}"
    store = RedisSignalStore(url, prefix=prefix, timeout=5.0)
    rng = np.random.default_rng(7)
    ids = [f"item-{i:07d}" for i in range(args.items)]
    data = rng.random((SIGNALS, args.items))
    before = int(client.info("memory")["used_memory"])
    started = time.perf_counter()
    store.put("item", ids, {key: data[k] for k, key in enumerate(KEYS)})
    load_s = time.perf_counter() - started
    mb_per_1m = (int(client.info("memory")["used_memory"]) - before) / args.items * 1e6 / 2**20
    store.put("item", ids[: args.items // 2], {"lang": ["en"] * (args.items // 2)})
    unknown = [f"unknown-{i}" for i in range(args.items // 100 + 1)]
    pool = ids + unknown
    slates = [
        [pool[i] for i in rng.integers(0, len(pool), SLATE).tolist()] for _ in range(args.lookups)
    ]
    store.lookup("item", slates[0], KEYS)
    numbers = timed(lambda slate: store.lookup("item", slate, KEYS), slates)
    strings = timed(lambda slate: store.lookup("item", slate, [*KEYS, "lang"]), slates)
    table = Table("path", "p50 µs", "p99 µs")
    table.add_row(f"RedisSignalStore.lookup, {SLATE} ids x {SIGNALS} numbers", *_us(numbers))
    table.add_row(f"  ... x {SIGNALS} numbers + 1 string", *_us(strings))
    if args.layouts:
        for name, p50, p99 in layouts(client, ids, data, slates):
            table.add_row(f"  {name}", *_us((p50, p99)))
    console.print(table)
    console.print(
        f"bulk load: {args.items:,} rows in {load_s:.2f} s ({args.items / load_s:,.0f} rows/s); "
        f"{mb_per_1m:.0f} MB per 1M items in Redis"
    )
    store.clear()
    for key in client.scan_iter(match="L:*", count=1000):
        client.unlink(key)
    store.close()
    client.close()
    print(
        f"BENCH redis_signal_store items={args.items} lookup_p50_us={numbers[0]:.0f} "
        f"lookup_p99_us={numbers[1]:.0f} lookup_strings_p50_us={strings[0]:.0f} "
        f"lookup_strings_p99_us={strings[1]:.0f} load_rows_per_s={args.items / load_s:.0f} "
        f"mb_per_1m={mb_per_1m:.0f}"
    )


def _us(times: tuple[float, float]) -> tuple[str, str]:
    return f"{times[0]:,.0f}", f"{times[1]:,.0f}"


if __name__ == "__main__":
    main()
