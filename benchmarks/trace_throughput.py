"""Trace throughput: the decision log keeping up with the guard, and ``why`` at scale.

What it measures. The example bundle ``examples/policies/feed-safety.yaml``
runs over the seeded catalogue of ``guard_latency.py`` (20,000 items, 1,500
creators) on random 500-candidate slates built the same way
(``make_requests``; each request gets a fresh request id), held as
``CandidateColumns``, the form ``bastion serve`` decodes requests into. Three parts:

1. **Guard cost of tracing.** Two guards share the bundle and the store: one
   with the default ``NullDecisionSink``, one with a ``TraceWriter`` (the
   embedded sink with its default config: fsync policy ``interval``, 64 MB
   segments sealed into Parquet by the sealer process). Each is driven
   open-loop at 400 requests/s (200k item decisions/s) in alternating phases
   (null, trace, trace, null, ...: ABBA, so drift cancels). ``Guard.apply``
   is timed per request with ``time.perf_counter_ns`` as in
   ``guard_latency.py``. The latency from each request's scheduled arrival to
   its result is shown too: it also counts waiting for the GIL after the
   driver's sleep, which ``apply`` alone does not, and grows without bound if
   the guard falls behind the schedule. Before every phase the log is
   drained (every record durable, every full segment sealed), so no sealing
   lands in a null phase; the drain time is shown. The writer's ``stats()``
   are sampled throughout (queue depth, drops), and CPU time is counted for
   this process and for the sealer process (``psutil``, if installed).
   Traced requests are also split by what the log was doing as each started
   (idle; the writer thread still writing earlier records; a full segment
   waiting for the sealer), which tells the log's contention for the GIL and
   the cores apart from its cost on an idle machine.
2. **Writer ceiling.** The traced guard runs flat out (no pacing). The item
   decisions made durable per second, the drops, the queue's high-water mark
   and the sealer's backlog show whether the log keeps up with a saturated
   guard, and the most it absorbs beside one on this machine.
3. **``why`` at scale.** A log of 10M item decisions (20,000 requests of 500
   candidates; ``--quick``: 1M) is written through ``DecisionLog.append``
   from a pool of 64 real guard results, each record with its own random
   128-bit request id, and sealed into Parquet segments by a sealer process,
   in a temporary directory. ``TraceReader(directory).explain(request_id)``
   is then timed for random request ids (a new reader each time, as
   ``bastion trace why`` does), and one aggregate query (block share by rule
   over every item decision) for context. The page cache is warm: the log
   was just written.

Targets (issue): sustained >= 200k item decisions/s into the embedded sink
while the guard runs, costing guard p99 at most 10%; ``why`` for one request
among 10M item decisions <= 1 s. They are reported, not asserted; the run
exits with status 1 only when the log lost a record (a drop while paced, an
error, or a count that does not add up).

Run::

    python benchmarks/trace_throughput.py            # full run, about 3 minutes
    python benchmarks/trace_throughput.py --quick    # smoke test, under a minute

The last line is machine-readable::

    BENCH trace_throughput records_per_s=... why_ms=... guard_p99_delta_pct=...
    guard_p99_us=... traced_p99_us=... arrival_p99_delta_pct=... why_items=...

(one line). ``records_per_s``: item decisions made durable per second while
the guard ran flat out (part 2). ``why_ms``: median ``explain`` latency
(part 3). ``guard_p99_delta_pct``: traced over untraced ``Guard.apply`` p99
at 400 requests/s, in percent (part 1), from ``guard_p99_us`` (untraced) and
``traced_p99_us``. ``arrival_p99_delta_pct``: the same from scheduled
arrival. ``why_items``: item decisions in the ``why`` log.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import msgspec
import numpy as np

from bastion.cli._catalogue import build_catalogue
from bastion.core import DecisionRecord, GuardRequest, candidate_columns
from bastion.guard import Guard
from bastion.policy import Bundle, load_bundle
from bastion.stores import MemorySignalStore
from bastion.trace import (
    DecisionLog,
    Pseudonymiser,
    TraceConfig,
    TraceReader,
    TraceWriter,
    WriterStats,
    build_body,
    encode_body,
    seal_wal,
)
from guard_latency import BUNDLE, CREATORS, ITEMS, make_requests

try:
    import psutil  # type: ignore[import-untyped]  # no stubs in the dev extra
except ImportError:  # the bench extra installs it; without it CPU times show as nan
    psutil = None

CANDIDATES = 500
RATE = 400  # requests/s: 200k item decisions/s at 500 candidates
RECORDS_TARGET = 200_000  # item decisions/s
DELTA_TARGET_PCT = 10.0
WHY_TARGET_MS = 1_000.0
HMAC_KEY = "trace-throughput-benchmark-key"
BLOCK_SHARE_BY_RULE = """
SELECT rule, count(*) AS fired, avg(CASE WHEN action = 'block' THEN 1 ELSE 0 END) AS block_share
FROM (SELECT unnest(rules) AS rule, action FROM decisions)
GROUP BY rule ORDER BY fired DESC
"""


@dataclass(frozen=True)
class Settings:
    """How long each part of the run takes."""

    pool: int
    warmup_s: float
    phase_s: float
    rounds: int
    flat_s: float
    why_records: int
    why_lookups: int


@dataclass
class Phase:
    """One paced phase: per-request latencies and what the log did meanwhile."""

    kind: str
    apply_us: np.ndarray
    arrival_us: np.ndarray
    seconds: float
    cpu_s: float
    max_queue: int = 0
    dropped: int = 0
    sealer_cpu_s: float = 0.0
    drain_s: float = 0.0
    writer_busy: np.ndarray | None = None  # per request: records waiting to be written
    sealer_busy: np.ndarray | None = None  # per request: a full segment waiting to be sealed

    @property
    def rate(self) -> float:
        """Requests per second achieved."""
        return len(self.apply_us) / self.seconds


@dataclass
class FlatOut:
    """The traced guard run flat out."""

    seconds: float
    requests: int
    durable: int
    dropped: int
    max_queue: int
    end_queue: int
    backlog: int
    drain_s: float
    sealer_cpu_s: float


@dataclass
class WhyLog:
    """The large log built for ``why``."""

    directory: Path
    request_ids: list[str]
    items: int
    build_s: float
    segments: int
    bytes_on_disk: int


@dataclass
class Results:
    """Everything measured."""

    phases: list[Phase]
    flat: FlatOut
    stats: WriterStats
    logged: int
    why: WhyLog
    why_ms: np.ndarray
    query_s: float


def settings_for(args: argparse.Namespace) -> Settings:
    """Durations for a full or a ``--quick`` run."""
    if args.quick:
        return Settings(200, 3.0, 2.0, 2, 3.0, 2_000, 10)
    return Settings(1_000, 4.0, args.phase_s, args.rounds, 10.0, 20_000, 20)


def sealer_cpu_s() -> float:
    """User + system CPU seconds of this process's live child processes (the sealer)."""
    if psutil is None:
        return float("nan")
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def pending_seals(config: TraceConfig) -> int:
    """Write-ahead files handed to the sealer and not sealed yet.

    The open segment's file stays below ``segment_max_bytes`` (the writer
    rotates it as soon as it reaches that size), so every file at or above
    the size waits for the sealer. (Segments also rotate at
    ``segment_max_age_s``, far longer than any phase here.)
    """
    count = 0
    for path in (config.directory / "wal").glob("*.wal"):
        try:
            if path.stat().st_size >= config.segment_max_bytes:
                count += 1
        except FileNotFoundError:  # sealed and removed meanwhile
            continue
    return count


def drain(writer: TraceWriter, timeout_s: float = 300.0) -> float:
    """Wait until every accepted record is durable and every full segment sealed."""
    started = time.perf_counter()
    writer.flush(timeout_s)
    while pending_seals(writer.config) and time.perf_counter() - started < timeout_s:
        time.sleep(0.02)
    return time.perf_counter() - started


def paced(
    guard: Guard,
    pool: Sequence[GuardRequest],
    seconds: float,
    *,
    kind: str,
    prefix: str,
    writer: TraceWriter | None = None,
) -> Phase:
    """Drive *guard* open-loop at ``RATE`` requests/s for *seconds*, timing each request."""
    count = int(RATE * seconds)
    apply_ns = np.empty(count, dtype=np.int64)
    arrival_ns = np.empty(count, dtype=np.int64)
    period_ns = 1e9 / RATE
    clock = time.perf_counter_ns
    writer_busy = np.zeros(count, dtype=bool)
    sealer_busy = np.zeros(count, dtype=bool)
    max_queue = 0
    sealing = False
    dropped_before = writer.stats().dropped if writer is not None else 0
    gc.collect()
    cpu_before = time.process_time()
    start = clock()
    for number in range(count):
        request = dataclasses.replace(pool[number % len(pool)], request_id=f"{prefix}-{number:07d}")
        due = start + int(number * period_ns)
        if writer is not None and number % 10 == 0:
            sealing = pending_seals(writer.config) > 0
        now = clock()
        if now < due:
            time.sleep((due - now) / 1e9)
        if writer is not None:  # what the log is doing as the request starts (untimed)
            stats = writer.stats()
            writer_busy[number] = stats.accepted > stats.written
            max_queue = max(max_queue, stats.queue_depth)
            sealer_busy[number] = sealing
        began = clock()
        guard.apply(request)
        finished = clock()
        apply_ns[number] = finished - began
        arrival_ns[number] = finished - due
    elapsed = (clock() - start) / 1e9
    phase = Phase(kind, apply_ns / 1e3, arrival_ns / 1e3, elapsed, time.process_time() - cpu_before)
    if writer is not None:
        stats = writer.stats()
        phase.max_queue = max(max_queue, stats.queue_depth)
        phase.dropped = stats.dropped - dropped_before
        phase.writer_busy, phase.sealer_busy = writer_busy, sealer_busy
    return phase


def warm_up(
    null_guard: Guard, traced_guard: Guard, pool: Sequence[GuardRequest], writer: TraceWriter
) -> None:
    """Warm both guards and the writer, and start the sealer process (at the first seal)."""
    paced(null_guard, pool, 1.0, kind="null", prefix="warm-null")
    reader = TraceReader(writer.config.directory)
    for attempt in range(20):  # a slow machine may need more than one second per 400 requests
        paced(traced_guard, pool, 1.0, kind="trace", prefix=f"warm-{attempt}", writer=writer)
        if reader.segments() or pending_seals(writer.config):
            break
    drain(writer)


def flat_out(
    guard: Guard, pool: Sequence[GuardRequest], seconds: float, writer: TraceWriter
) -> FlatOut:
    """Run the traced guard without pacing; count what the log made durable meanwhile."""
    clock = time.perf_counter
    before = writer.stats()
    sealer_before = sealer_cpu_s()
    max_queue = number = 0
    gc.collect()
    start = clock()
    deadline = start + seconds
    while clock() < deadline:
        guard.apply(dataclasses.replace(pool[number % len(pool)], request_id=f"flat-{number:07d}"))
        number += 1
        if number % 20 == 0:
            max_queue = max(max_queue, writer.stats().queue_depth)
    elapsed = clock() - start
    after = writer.stats()
    backlog = pending_seals(writer.config)
    drain_s = drain(writer)
    return FlatOut(
        seconds=elapsed,
        requests=number,
        durable=after.durable - before.durable,
        dropped=after.dropped - before.dropped,
        max_queue=max(max_queue, after.queue_depth),
        end_queue=after.queue_depth,
        backlog=backlog,
        drain_s=drain_s,
        sealer_cpu_s=sealer_cpu_s() - sealer_before,
    )


def build_why_log(
    directory: Path, records: Sequence[DecisionRecord], count: int, rng: np.random.Generator
) -> WhyLog:
    """Write *count* records cycling through *records*, each with a new random request id.

    Bodies are built once per pooled record; each written record is a copy
    with its own request id and timestamp, encoded and chained like the
    writer does, and full segments are sealed by a sealer process while the
    next one is written.
    """
    started = time.perf_counter()
    pseudonymiser = Pseudonymiser(HMAC_KEY)
    bodies = [build_body(record, pseudonymiser) for record in records]
    halves = rng.integers(0, 2**63, size=(count, 2), dtype=np.int64).tolist()
    ids = [f"{a:016x}{b:016x}" for a, b in halves]
    base = time.time() - count / RATE
    log = DecisionLog(directory)
    futures: list[Future[object]] = []
    items = 0
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as sealer:
        for first in range(0, count, 256):
            batch = []
            for number in range(first, min(first + 256, count)):
                body = bodies[number % len(bodies)]
                items += len(body.items.item_id)
                copy = msgspec.structs.replace(
                    body, request_id=ids[number], timestamp=base + number / RATE
                )
                batch.append(encode_body(copy))
            log.append(batch)
            if log.due():
                path = log.rotate()
                if path is not None:
                    futures.append(sealer.submit(seal_wal, directory, path))
        path = log.rotate()
        if path is not None:
            futures.append(sealer.submit(seal_wal, directory, path))
        for future in futures:
            future.result()
    log.close(seal=False)
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    return WhyLog(directory, ids, items, time.perf_counter() - started, len(futures), size)


def time_why(why: WhyLog, lookups: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """``explain`` latencies (ms) for random request ids, and one aggregate query's seconds."""
    latencies = []
    for index in rng.choice(len(why.request_ids), size=lookups, replace=False).tolist():
        request_id = why.request_ids[index]
        began = time.perf_counter()
        explanation = TraceReader(why.directory).explain(request_id)
        latencies.append((time.perf_counter() - began) * 1e3)
        if explanation.request_id != request_id or explanation.candidates != CANDIDATES:
            raise SystemExit(f"explain({request_id!r}) returned {explanation.request_id!r}")
    began = time.perf_counter()
    table = TraceReader(why.directory).query(BLOCK_SHARE_BY_RULE)
    query_s = time.perf_counter() - began
    if table.num_rows == 0:
        raise SystemExit("the block-share query found no fired rules")
    return np.asarray(latencies), query_s


def run(
    settings: Settings,
    store: MemorySignalStore,
    bundle: Bundle,
    pool: Sequence[GuardRequest],
    rng: np.random.Generator,
    root: Path,
) -> Results:
    """The three parts; see the module docstring."""
    config = TraceConfig(directory=root / "live", hmac_key=HMAC_KEY)
    writer = TraceWriter(config)
    writer.start()
    null_guard = Guard(bundle, store)
    traced_guard = Guard(bundle, store, sink=writer)
    gc.collect()
    gc.freeze()  # the catalogue and the request pool are not part of any request's work

    warm_up(null_guard, traced_guard, pool, writer)
    phases: list[Phase] = []
    for round_ in range(settings.rounds):
        for kind in ("null", "trace") if round_ % 2 == 0 else ("trace", "null"):
            if kind == "null":
                phases.append(paced(null_guard, pool, settings.phase_s, kind=kind, prefix="n"))
                continue
            sealer_before = sealer_cpu_s()
            phase = paced(
                traced_guard, pool, settings.phase_s, kind=kind, prefix=f"t{round_}", writer=writer
            )
            phase.drain_s = drain(writer)
            phase.sealer_cpu_s = sealer_cpu_s() - sealer_before
            phases.append(phase)
    flat = flat_out(traced_guard, pool, settings.flat_s, writer)
    writer.close()
    stats = writer.stats()
    logged = sum(s.records for s in TraceReader(config.directory).segments())

    pooled = [DecisionRecord(r, null_guard.apply(r), time.time()) for r in pool[:64]]
    why = build_why_log(root / "why", pooled, settings.why_records, rng)
    why_ms, query_s = time_why(why, settings.why_lookups, rng)
    return Results(phases, flat, stats, logged, why, why_ms, query_s)


def pct(values: np.ndarray, q: float) -> float:
    """Percentile *q* of *values*."""
    return float(np.percentile(values, q))


def delta(traced: float, untraced: float) -> float:
    """How much larger *traced* is than *untraced*, in percent."""
    return (traced / untraced - 1.0) * 100.0


def round_deltas(phases: Sequence[Phase]) -> list[float]:
    """Traced over untraced ``apply`` p99 of each round (a null and a trace phase), in percent.

    Each round's two phases ran back to back, so they share the machine's
    state more than phases minutes apart do; the spread of these figures shows
    how much of the pooled figure is the machine.
    """
    deltas = []
    for start in range(0, len(phases) - 1, 2):
        pair = {p.kind: p for p in phases[start : start + 2]}
        if set(pair) == {"null", "trace"}:
            deltas.append(delta(pct(pair["trace"].apply_us, 99), pct(pair["null"].apply_us, 99)))
    return deltas


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 2) -> None:
    """Aligned text columns: the first *left* flush left, the others flush right."""
    widths = [max(len(c) for c in column) for column in zip(header, *rows, strict=True)]
    for line in (header, *rows):
        print(
            "  ".join(
                c.ljust(w) if i < left else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )


def report(results: Results, quick: bool) -> tuple[float, float, float, float]:
    """Print the tables; return records/s, why ms, the p99 delta and the arrival p99 delta."""
    phases, flat, stats = results.phases, results.flat, results.stats
    null = [p for p in phases if p.kind == "null"]
    traced = [p for p in phases if p.kind == "trace"]
    merged = {
        kind: (
            np.concatenate([p.apply_us for p in group]),
            np.concatenate([p.arrival_us for p in group]),
        )
        for kind, group in (("null", null), ("trace", traced))
    }
    null_apply, null_arrival = merged["null"]
    traced_apply, traced_arrival = merged["trace"]
    p99_delta = delta(pct(traced_apply, 99), pct(null_apply, 99))
    arrival_delta = delta(pct(traced_arrival, 99), pct(null_arrival, 99))

    print()
    print(f"1. guard cost of tracing at {RATE} requests/s ({CANDIDATES} candidates), per phase")
    rows: list[tuple[str, ...]] = []
    for number, p in enumerate(phases, start=1):
        trace = p.kind == "trace"
        rows.append(
            (
                str(number),
                p.kind,
                f"{len(p.apply_us):,}",
                f"{p.rate:,.0f}",
                f"{pct(p.apply_us, 50):,.0f}",
                f"{pct(p.apply_us, 99):,.0f}",
                f"{pct(p.arrival_us, 99):,.0f}",
                f"{p.cpu_s / len(p.apply_us) * 1e6:,.0f}",
                f"{p.sealer_cpu_s / len(p.apply_us) * 1e6:,.0f}" if trace else "-",
                f"{p.max_queue:,}" if trace else "-",
                f"{p.dropped:,}" if trace else "-",
                f"{p.drain_s:.2f}" if trace else "-",
            )
        )
    for kind, (apply_us, arrival_us) in merged.items():
        rows.append(
            (
                "all",
                kind,
                f"{len(apply_us):,}",
                "",
                f"{pct(apply_us, 50):,.0f}",
                f"{pct(apply_us, 99):,.0f}",
                f"{pct(arrival_us, 99):,.0f}",
                *[""] * 5,
            )
        )
    print_table(
        (
            "phase",
            "sink",
            "requests",
            "req/s",
            "apply p50 µs",
            "apply p99 µs",
            "arrival p99 µs",
            "CPU µs/req",
            "sealer µs/req",
            "max queue",
            "dropped",
            "drain s",
        ),
        rows,
    )
    print(
        f"guard p99 with the trace log: {p99_delta:+.1f}% (target <= +{DELTA_TARGET_PCT:.0f}%); "
        f"median {delta(pct(traced_apply, 50), pct(null_apply, 50)):+.1f}%; "
        f"from arrival: p99 {arrival_delta:+.1f}%"
    )
    by_round = round_deltas(phases)
    print(
        "guard p99 with the log vs without, round by round (each round's phases "
        f"side by side): {', '.join(f'{d:+.0f}%' for d in by_round)}; "
        f"median {float(np.median(by_round)):+.1f}%"
    )
    writer_busy = np.concatenate([p.writer_busy for p in traced if p.writer_busy is not None])
    sealer_busy = np.concatenate([p.sealer_busy for p in traced if p.sealer_busy is not None])
    parts = []
    for label, mask in (
        ("log idle", ~writer_busy & ~sealer_busy),
        ("writer busy", writer_busy),
        ("sealer busy", sealer_busy),
    ):
        if mask.any():
            parts.append(
                f"{label} {mask.mean():.0%}: p50 {pct(traced_apply[mask], 50):,.0f} / "
                f"p99 {pct(traced_apply[mask], 99):,.0f} µs"
            )
    print("traced requests by what the log was doing as they started: " + "; ".join(parts))
    absorbed = len(traced_apply) * CANDIDATES / sum(p.seconds for p in traced)
    print(
        f"the log absorbed {absorbed:,.0f} item decisions/s while paced: "
        f"{sum(p.dropped for p in traced)} dropped, queue high-water "
        f"{max(p.max_queue for p in traced):,} of {stats.queue_capacity:,}"
    )
    cpu_null = sum(p.cpu_s for p in null) / len(null_apply) * 1e6
    cpu_traced = sum(p.cpu_s for p in traced) / len(traced_apply) * 1e6
    cpu_sealer = sum(p.sealer_cpu_s for p in traced) / len(traced_apply) * 1e6
    print(
        f"CPU per request: {cpu_null:,.0f} µs untraced; traced {cpu_traced:,.0f} µs in this "
        f"process (+{cpu_traced - cpu_null:,.0f} µs: append and the writer thread) and "
        f"{cpu_sealer:,.0f} µs in the sealer process (one core seals up to "
        f"{1e6 / cpu_sealer * CANDIDATES:,.0f} item decisions/s)"
    )
    print(
        f"at {RATE} requests/s this process needs {cpu_null * RATE / 1e4:.0f}% of a core "
        f"untraced, {cpu_traced * RATE / 1e4:.0f}% traced (the guard and the writer thread "
        f"share one GIL: near 100% they queue for it), the sealer {cpu_sealer * RATE / 1e4:.0f}%"
    )

    print()
    print("2. writer ceiling: the traced guard flat out")
    records_per_s = flat.durable * CANDIDATES / flat.seconds
    kept_up = flat.dropped == 0 and flat.end_queue <= 2 * 64  # two writer batches
    print_table(
        (
            "seconds",
            "guard req/s",
            "durable item decisions/s",
            "dropped",
            "max queue",
            "queue at end",
            "sealer backlog",
            "drain s",
            "sealer µs/req",
        ),
        [
            (
                f"{flat.seconds:.1f}",
                f"{flat.requests / flat.seconds:,.0f}",
                f"{records_per_s:,.0f}",
                f"{flat.dropped:,}",
                f"{flat.max_queue:,}",
                f"{flat.end_queue:,}",
                f"{flat.backlog} segments",
                f"{flat.drain_s:.2f}",
                f"{flat.sealer_cpu_s / max(flat.durable, 1) * 1e6:,.0f}",
            )
        ],
        left=0,
    )
    print(
        f"the writer {'kept up with' if kept_up else 'fell behind'} the saturated guard; "
        f"target >= {RECORDS_TARGET:,} item decisions/s. Writer totals: {stats.accepted:,} "
        f"accepted, {stats.durable:,} durable, {stats.dropped:,} dropped, {stats.errors} errors; "
        f"{results.logged:,} records in the sealed log"
    )

    print()
    why = results.why
    scale = "10M" if why.items == 10_000_000 else f"{why.items / 1e6:g}M"
    note = " (quick run; the full run uses 10M)" if quick else ""
    print(
        f"3. why over {scale} item decisions{note}: {len(why.request_ids):,} requests in "
        f"{why.segments} segments, "
        f"{why.bytes_on_disk / 1e6:,.0f} MB on disk, written and sealed in {why.build_s:.0f} s"
    )
    why_ms = results.why_ms
    print_table(
        ("what", "runs", "median ms", "max ms", "target"),
        [
            (
                "TraceReader.explain(request_id)",
                f"{len(why_ms)}",
                f"{np.median(why_ms):,.0f}",
                f"{why_ms.max():,.0f}",
                f"<= {WHY_TARGET_MS:,.0f} ms",
            ),
            ("query: block share by rule", "1", f"{results.query_s * 1e3:,.0f}", "", ""),
        ],
        left=1,
    )
    return records_per_s, float(np.median(why_ms)), p99_delta, arrival_delta


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return 1 when the log lost a record."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short phases, a 1M-item why log")
    parser.add_argument("--rounds", type=int, default=6, help="null/trace phase pairs (full run)")
    parser.add_argument("--phase-s", type=float, default=5.0, help="seconds per phase (full run)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the catalogue and slates")
    args = parser.parse_args(argv)
    settings = settings_for(args)

    store = build_catalogue(ITEMS, CREATORS, args.seed)
    bundle = load_bundle(BUNDLE, store.schema)
    rng = np.random.default_rng(args.seed)
    pool = [  # columns, as the service decodes them (decode_guard_request)
        dataclasses.replace(request, candidates=candidate_columns(request.candidates))
        for request in make_requests(rng, settings.pool, CANDIDATES, prefix="pool")
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"trace_throughput: {bundle.spec.name}, {CANDIDATES} candidates, {RATE} requests/s "
        f"({RATE * CANDIDATES:,} item decisions/s), {settings.rounds} x (null, trace) phases "
        f"of {settings.phase_s:g} s; seed {args.seed}"
    )
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs (timings assume a quiet machine)")
    root = Path(tempfile.mkdtemp(prefix="bastion-trace-bench-"))
    try:
        results = run(settings, store, bundle, pool, rng, root)
    finally:
        gc.unfreeze()  # frozen native objects would be reported as leaks at exit
        shutil.rmtree(root, ignore_errors=True)
    records_per_s, why_ms, p99_delta, arrival_delta = report(results, args.quick)
    null_apply = np.concatenate([p.apply_us for p in results.phases if p.kind == "null"])
    traced_apply = np.concatenate([p.apply_us for p in results.phases if p.kind == "trace"])
    stats = results.stats
    lost = sum(p.dropped for p in results.phases) + stats.errors + (stats.accepted - results.logged)
    if lost:
        print(f"the log lost {lost} records (dropped while paced, failed, or missing)")
    print(
        f"BENCH trace_throughput records_per_s={records_per_s:.0f} why_ms={why_ms:.0f} "
        f"guard_p99_delta_pct={p99_delta:.1f} guard_p99_us={pct(null_apply, 99):.0f} "
        f"traced_p99_us={pct(traced_apply, 99):.0f} arrival_p99_delta_pct={arrival_delta:.1f} "
        f"why_items={results.why.items}"
    )
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
