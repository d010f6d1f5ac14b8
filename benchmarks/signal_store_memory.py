"""Memory, lookup latency and snapshot reload time of ``MemorySignalStore`` at 1M items.

What it measures:

* ``rss_mb``: the store's own resident memory: 1M items x 10 float signals,
  loaded in puts of 100k. The input (1M id strings such as ``item-0000000``,
  ~69 MB) is made first; the process's resident memory (RSS) is read before
  the store is built and after, with the input still alive and the loader's
  temporaries dropped (``gc.collect()``), so the difference is what the store
  holds. In case the store kept some of the input alive (strings it shares
  with the caller), the growth is also measured from before the input was made
  to after it is dropped; ``rss_mb`` is the larger of the two.
* ``lookup_p50_us`` / ``lookup_p99_us``: one ``lookup`` of a 500-id slate
  x 5 float columns, over 2,000 repetitions cycling through 64 different random
  slates of freshly built id strings (as a request parser would hand them over),
  so that the caches are mostly cold, as in a server. Other rows give the same
  with 5% unknown ids, and with one slate repeated (hot caches: what a quick
  ``timeit`` shows).
* ``snapshot_load_s``: ``MemorySignalStore.open`` of a snapshot written by
  ``save`` into a temporary directory (save time and size are shown too).

Targets: rss <= 200 MB, lookup p50 <= 120 us (64 slates) and under 40 us
(hot), snapshot load well under 2 s.

Run it from the repository root with the project's environment::

    python benchmarks/signal_store_memory.py

The last line of output is machine-readable::

    BENCH signal_store_memory items=1000000 rss_mb=... lookup_p50_us=...
    lookup_p99_us=... snapshot_load_s=...

(on one line).
"""

from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil  # type: ignore[import-untyped]  # no stubs in the dev extra
from rich.console import Console
from rich.table import Table

from bastion.stores import MemorySignalStore

ITEMS = 1_000_000
SIGNALS = 10
CHUNK = 100_000
SLATE = 500
LOOKUP_KEYS = [f"s{j}" for j in range(5)]
REPETITIONS = 2_000
SLATES = 64


def item_id(i: int) -> str:
    """The id of item *i*."""
    return f"item-{i:07d}"


def build(ids: list[str], rng: np.random.Generator) -> MemorySignalStore:
    """1M items x 10 float signals, put in chunks of 100k."""
    store = MemorySignalStore()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        store.put("item", chunk, {f"s{j}": rng.random(len(chunk)) for j in range(SIGNALS)})
    return store


def time_lookups(
    store: MemorySignalStore, rng: np.random.Generator, unknown: float, slates: int = SLATES
) -> tuple[float, float]:
    """Median and p99 of one slate lookup, in microseconds, cycling through *slates* slates."""
    pool = []
    for _ in range(slates):
        picks = rng.integers(0, ITEMS, SLATE)
        pool.append([item_id(int(i)) if rng.random() >= unknown else f"new-{i}" for i in picks])
    for slate in pool:  # warm up
        store.lookup("item", slate, LOOKUP_KEYS)
    timings = np.empty(REPETITIONS)
    clock = time.perf_counter_ns
    for r in range(REPETITIONS):
        slate = pool[r % slates]
        started = clock()
        store.lookup("item", slate, LOOKUP_KEYS)
        timings[r] = clock() - started
    return float(np.median(timings)) / 1e3, float(np.percentile(timings, 99)) / 1e3


def main() -> None:
    """Run the benchmark and print a table, then the BENCH line."""
    process = psutil.Process()
    rng = np.random.default_rng(0)
    gc.collect()
    rss_start = process.memory_info().rss
    ids = [item_id(i) for i in range(ITEMS)]
    gc.collect()
    rss_input = process.memory_info().rss
    ids_mb = (rss_input - rss_start) / 2**20

    started = time.perf_counter()
    store = build(ids, rng)
    build_s = time.perf_counter() - started
    gc.collect()  # the chunks' value arrays and the puts' temporaries
    store_mb = (process.memory_info().rss - rss_input) / 2**20
    del ids  # the caller's input: the store keeps no reference to it
    gc.collect()
    dropped_mb = (process.memory_info().rss - rss_start) / 2**20
    rss_mb = max(store_mb, dropped_mb)

    p50, p99 = time_lookups(store, rng, unknown=0.0)
    p50_unknown, p99_unknown = time_lookups(store, rng, unknown=0.05)
    p50_hot, p99_hot = time_lookups(store, rng, unknown=0.0, slates=1)

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "snapshot"
        started = time.perf_counter()
        store.save(path)
        save_s = time.perf_counter() - started
        size_mb = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20
        started = time.perf_counter()
        loaded = MemorySignalStore.open(path)
        load_s = time.perf_counter() - started
    probe = [item_id(int(i)) for i in rng.integers(0, ITEMS, SLATE)]
    expected = store.lookup("item", probe, LOOKUP_KEYS).columns
    got = loaded.lookup("item", probe, LOOKUP_KEYS).columns
    if loaded.count("item") != ITEMS or any(
        not np.array_equal(expected[k], got[k]) for k in LOOKUP_KEYS
    ):
        raise SystemExit("the reloaded snapshot differs from the store")

    columns_mb = ITEMS * SIGNALS * 8 / 2**20
    index_mb = store._tables["item"].state.index.nbytes / 2**20  # a private peek, for the table
    table = Table(title=f"MemorySignalStore: {ITEMS:,} items x {SIGNALS} float signals")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row("put 1M rows (10 puts of 100k)", f"{build_s:.2f} s", "")
    table.add_row("store RSS (input alive before and after)", f"{store_mb:.1f} MB", "<= 200 MB")
    table.add_row("  of which column data (1M x 10 x 8 B)", f"{columns_mb:.1f} MB", "")
    table.add_row("  of which the id index (arrays)", f"{index_mb:.1f} MB", "")
    table.add_row("RSS growth, input made and dropped", f"{dropped_mb:.1f} MB", "<= 200 MB")
    table.add_row("  the input: 1M id strings (not kept)", f"{ids_mb:.1f} MB", "")
    table.add_row(
        f"lookup {SLATE} ids x 5 cols, one slate (hot), p50", f"{p50_hot:.1f} us", "< 40 us"
    )
    table.add_row(f"lookup {SLATE} ids x 5 cols, one slate (hot), p99", f"{p99_hot:.1f} us", "")
    table.add_row(
        f"lookup {SLATE} ids x 5 cols, {SLATES} slates, p50", f"{p50:.1f} us", "<= 120 us"
    )
    table.add_row(f"lookup {SLATE} ids x 5 cols, {SLATES} slates, p99", f"{p99:.1f} us", "")
    table.add_row("  same, 5% unknown ids, p50", f"{p50_unknown:.1f} us", "")
    table.add_row("  same, 5% unknown ids, p99", f"{p99_unknown:.1f} us", "")
    table.add_row("snapshot save (fsynced)", f"{save_s:.2f} s", "")
    table.add_row("snapshot size", f"{size_mb:.0f} MB", "")
    table.add_row("snapshot open", f"{load_s:.2f} s", "< 2 s")
    Console().print(table)
    print(
        f"BENCH signal_store_memory items={ITEMS} rss_mb={rss_mb:.1f} "
        f"lookup_p50_us={p50:.1f} lookup_p99_us={p99:.1f} snapshot_load_s={load_s:.3f}"
    )


if __name__ == "__main__":
    main()
