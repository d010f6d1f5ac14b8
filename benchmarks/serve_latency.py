"""Serve latency: ``POST /v1/guard`` over loopback against a bare msgspec echo endpoint.

What it measures. ``bastion serve`` runs as a subprocess (uvicorn, with uvloop
and httptools when installed) over the example bundle
``examples/policies/feed-safety.yaml`` (10 rules, 1 constraint, 2 breakers)
and a snapshot of the seeded demo catalogue (20,000 items, 1,500 creators:
``bastion.cli._demo.build_catalogue``). Each request carries 500 candidates
(random slate, random scores, user and surface, about 26 kB of JSON; the
answer, a decision per candidate, about 56 kB). A second subprocess serves a
bare FastAPI endpoint that reads the same body, decodes it with the same
msgspec struct and answers it back: the floor that HTTP, the framework and
decoding cost without the guard. A third subprocess runs the same echo
endpoint but also spends, on each request, as much CPU as the guard's own
steps take in this process (``Guard.apply`` plus encoding, medians timed at
the start of the run), with requests taking turns as the guard's do, and
answers as many bytes as the guard does: the guard's cost with none of the
service's, which shows how much of the concurrency-8 figure no serving layer
can remove.

The client is this process: one keep-alive ``http.client`` connection per
thread, concurrency 1 and 8 (closed loop: each thread sends its next request
when the previous answer is read in full). Each request is timed from send to
the last byte of the answer. All servers run in alternating rounds so that
they see the same noise. Besides latency, the table gives each server's CPU
time per request (all its processes), and the run starts by timing the hot
path's stages in this process (decode, ``Guard.apply``, encode): the floor
under the HTTP figures, and a gauge of how busy the machine is.

Target (issue): p99 <= 5 ms at concurrency 8, within 1 ms of the echo
endpoint. Reported, not asserted.

Run::

    python benchmarks/serve_latency.py                # full run, about two minutes
    python benchmarks/serve_latency.py --quick        # smoke test, under 30 s
    python benchmarks/serve_latency.py --workers 2    # two server processes
    python benchmarks/serve_latency.py --threadpool   # Guard.apply in the thread pool
    python benchmarks/serve_latency.py --trace        # with the decision log writing
    python benchmarks/serve_latency.py --also threadpool --also workers2 --also trace
                                                      # extra rows, same rounds
    python benchmarks/serve_latency.py --wrk          # also load every server with wrk

``--wrk`` (needs ``wrk`` on the PATH: ``apt-get install wrk``) adds a table
from ``wrk -t1``, a load generator in C, at the same concurrencies: one
fixed body (the first), so the figures show the servers without this
process's Python client, which needs about 0.2 ms of CPU per request beside
them on the same cores.

The last line is machine-readable (concurrency-8 figures of the main server
first; ``cpu_us`` is its CPU time per request, ``apply_p50_us`` the
in-process ``Guard.apply`` median)::

    BENCH serve_latency p50_us=... p99_us=... echo_p99_us=... echo_p50_us=...
    c1_p50_us=... c1_p99_us=... rps=... cpu_us=... apply_p50_us=... workers=...
    threadpool=0|1 trace=0|1 spin_p99_us=... spin_us=...

``spin_p99_us`` is the third subprocess's concurrency-8 p99 and ``spin_us``
the CPU it spends per request besides decoding.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

from bastion.server._turns import Turns
from bastion.server._wire import GuardRequestBody

ROOT = Path(__file__).resolve().parents[1]
ECHO = "echo (FastAPI + msgspec)"
SPIN = "echo + the guard's CPU, spun"
BUNDLE = ROOT / "examples" / "policies" / "feed-safety.yaml"
ITEMS = 20_000
CREATORS = 1_500
CANDIDATES = 500
P99_TARGET_US = 5_000
ECHO_GAP_TARGET_US = 1_000


@dataclass(frozen=True)
class Settings:
    """How much the run times."""

    requests_c1: int
    requests_c8: int
    rounds: int
    warmup: int


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    server: str
    concurrency: int
    latencies_us: np.ndarray
    seconds: float
    cpu_seconds: float = float("nan")

    def percentile(self, q: float) -> float:
        """A latency percentile in microseconds."""
        return float(np.percentile(self.latencies_us, q))

    @property
    def rps(self) -> float:
        """Requests answered per second."""
        return len(self.latencies_us) / self.seconds

    @property
    def mean(self) -> float:
        """Mean latency, in microseconds."""
        return float(np.mean(self.latencies_us))

    @property
    def cpu_per_request(self) -> float:
        """Server CPU time (user + system, all its processes) per request, in microseconds."""
        return self.cpu_seconds / len(self.latencies_us) * 1e6


def make_bodies(count: int, seed: int) -> list[bytes]:
    """Guard request bodies over the demo catalogue."""
    rng = np.random.default_rng(seed)
    bodies = []
    for number in range(count):
        picks = rng.choice(ITEMS, size=CANDIDATES, replace=False)
        scores = np.sort(rng.random(CANDIDATES))[::-1]
        teen = rng.random() < 0.15
        body = {
            "request_id": f"bench-{number:05d}",
            "slate_size": 20,
            "surface": str(rng.choice(["feed", "explore", "following"], p=[0.7, 0.2, 0.1])),
            "user": {
                "user_id": f"user-{rng.integers(0, 50_000)}",
                "age_band": "13-17" if teen else str(rng.choice(["18-24", "25-34", "45+"])),
                "region": str(rng.choice(["US", "DE", "BR", "IN", "JP"])),
            },
            "model": {"name": "two-tower", "version": "bench"},
            "candidates": [
                {"item_id": f"item-{p:05d}", "score": round(float(s), 6), "rank": rank}
                for rank, (p, s) in enumerate(zip(picks.tolist(), scores.tolist(), strict=True))
            ],
        }
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Variant:
    """One way of running ``bastion serve``."""

    workers: int = 1
    threadpool: bool = False
    trace: bool = False

    @property
    def label(self) -> str:
        """The table's name for it."""
        parts = [f"{self.workers} workers"] if self.workers > 1 else []
        parts += ["thread pool"] if self.threadpool else []
        parts += ["decision log"] if self.trace else []
        return "POST /v1/guard" + (f" ({', '.join(parts)})" if parts else "")


VARIANTS = {
    "threadpool": Variant(threadpool=True),
    "workers2": Variant(workers=2),
    "trace": Variant(trace=True),
}


def write_config(directory: Path, key: str, variant: Variant) -> Path:
    """A server config over the snapshot in *directory*; returns its path."""
    from bastion.server import hash_key

    config: dict[str, object] = {
        "host": "127.0.0.1",
        "workers": variant.workers,
        "guard_threadpool": variant.threadpool,
        "policy": str(BUNDLE),
        "signals": {"store": "snapshot", "snapshot": str(directory / "signals")},
        "auth": {"keys": [{"name": "bench", "sha256": hash_key(key), "roles": ["guard-client"]}]},
    }
    name = f"w{variant.workers}-t{int(variant.threadpool)}-l{int(variant.trace)}"
    if variant.trace:
        config["trace"] = {"directory": str(directory / f"trace-{name}"), "hmac_key": "b" * 32}
    path = directory / f"server-{name}.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def save_catalogue(directory: Path) -> None:
    """Snapshot the demo catalogue into *directory*/signals."""
    from bastion.cli._catalogue import build_catalogue

    build_catalogue(ITEMS, CREATORS, 7).save(directory / "signals")


def in_process(directory: Path, bodies: Sequence[bytes], count: int) -> dict[str, float]:
    """Median microseconds of each hot-path stage, in this process, on the same data.

    The floor under the HTTP figures: what one request costs the server
    before HTTP, and a gauge of how busy the machine is right now.
    """
    import gc

    from bastion.guard import Guard
    from bastion.policy import load_bundle
    from bastion.server import decode_guard_request, encode_guard_result
    from bastion.stores import MemorySignalStore

    store = MemorySignalStore.open(directory / "signals")
    guard = Guard(load_bundle(BUNDLE, store.schema), store)
    stages: dict[str, list[int]] = {"decode": [], "apply": [], "encode": []}
    clock = time.perf_counter_ns
    gc.collect()
    gc.freeze()
    try:
        for number in range(count):
            started = clock()
            request = decode_guard_request(bodies[number % len(bodies)])
            decoded = clock()
            result = guard.apply(request)
            applied = clock()
            encode_guard_result(result)
            stages["decode"].append(decoded - started)
            stages["apply"].append(applied - decoded)
            stages["encode"].append(clock() - applied)
    finally:
        gc.unfreeze()
    return {name: float(np.median(values[count // 10 :])) / 1e3 for name, values in stages.items()}


class Server:
    """A server subprocess, started and stopped with ``with``."""

    def __init__(self, command: Sequence[str], port: int) -> None:
        self.command = list(command)
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"server exited: {' '.join(self.command)}\n{error[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become ready: {' '.join(self.command)}")

    def cpu_seconds(self) -> float:
        """CPU time the server's processes (workers included) have used so far."""
        try:
            import psutil
        except ImportError:
            return float("nan")
        assert self.process is not None
        root = psutil.Process(self.process.pid)
        total = 0.0
        for process in (root, *root.children(recursive=True)):
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_load(
    port: int,
    path: str,
    headers: dict[str, str],
    bodies: Sequence[bytes],
    *,
    threads: int,
    per_thread: int,
    warmup: int,
) -> tuple[np.ndarray, float]:
    """Closed-loop load; returns latencies (us) of the timed requests and the timed wall time."""
    barrier = threading.Barrier(threads + 1)
    results: list[list[int]] = [[] for _ in range(threads)]
    failures: list[str] = []

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        clock = time.perf_counter_ns
        own = results[index]
        try:
            for k in range(warmup):
                connection.request("POST", path, bodies[(index + k) % len(bodies)], headers)
                connection.getresponse().read()
            barrier.wait()
            for k in range(per_thread):
                body = bodies[(index * 7919 + k) % len(bodies)]
                started = clock()
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                own.append(clock() - started)
                if response.status != 200:
                    failures.append(f"status {response.status}")
                    return
        except Exception as error:  # reported below; a benchmark never hides a failure
            failures.append(repr(error))
            barrier.abort()
        finally:
            connection.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{path}: {failures[0]}")
    return np.concatenate([np.asarray(r, dtype=np.float64) for r in results]) / 1e3, seconds


def check_answer(port: int, headers: dict[str, str], body: bytes) -> int:
    """One guard answer is a full decision for every candidate; returns its size in bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/v1/guard", body, headers)
    response = connection.getresponse()
    raw = response.read()
    answer = json.loads(raw)
    connection.close()
    if response.status != 200 or len(answer["decisions"]) != CANDIDATES:
        raise RuntimeError(f"unexpected guard answer ({response.status}): {str(answer)[:500]}")
    return len(raw)


_WRK_LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_WRK_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6}


def run_wrk(
    port: int, path: str, headers: dict[str, str], body: bytes, concurrency: int, seconds: int
) -> dict[str, float]:
    """p50, p90 and p99 (us) and requests/s of one ``wrk`` run posting *body*."""
    with tempfile.TemporaryDirectory(prefix="bastion-wrk-") as tmp:
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(body)
        script = Path(tmp) / "post.lua"
        lines = [
            'wrk.method = "POST"',
            f'local f = io.open("{body_file}", "rb"); wrk.body = f:read("*all"); f:close()',
            *(f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()),
        ]
        script.write_text("\n".join(lines) + "\n")
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{concurrency}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk {path}: some answers were not 2xx:\n{out}")
    return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, float]:
    """p50, p90 and p99 (us) and requests/s from the output of ``wrk --latency``.

    Raises:
        ValueError: The output lacks one of them.
    """
    found = {f"p{q}": float(v) * _WRK_UNITS[unit] for q, v, unit in _WRK_LATENCY.findall(out)}
    rate = re.search(r"^Requests/sec:\s+([\d.]+)\s*$", out, re.M)
    if set(found) != {"p50", "p90", "p99"} or rate is None:
        raise ValueError(f"cannot read wrk's output:\n{out}")
    return {**found, "rps": float(rate.group(1))}


def print_wrk_table(rows: Sequence[tuple[str, int, dict[str, float]]]) -> None:
    """The ``--wrk`` results, one line per server and concurrency."""
    header = (
        f"{'endpoint (wrk -t1)':<44} {'conc':>4} {'p50 µs':>8} {'p90 µs':>8} "
        f"{'p99 µs':>8} {'req/s':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, concurrency, figures in rows:
        print(
            f"{name:<44} {concurrency:>4} {figures['p50']:>8.0f} {figures['p90']:>8.0f} "
            f"{figures['p99']:>8.0f} {figures['rps']:>7.0f}"
        )


def print_table(rows: Sequence[Row]) -> None:
    """The results, one line per server and concurrency."""
    header = (
        f"{'endpoint':<44} {'conc':>4} {'requests':>8} {'p50 µs':>8} {'p90 µs':>8} "
        f"{'p99 µs':>8} {'max µs':>8} {'req/s':>7} {'cpu µs/req':>10}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.server:<44} {row.concurrency:>4} {len(row.latencies_us):>8} "
            f"{row.percentile(50):>8.0f} {row.percentile(90):>8.0f} {row.percentile(99):>8.0f} "
            f"{row.latencies_us.max():>8.0f} {row.rps:>7.0f} {row.cpu_per_request:>10.0f}"
        )


def spin(microseconds: float) -> None:
    """Spend *microseconds* of this thread's CPU time (time off the CPU does not count)."""
    until = time.thread_time_ns() + int(microseconds * 1e3)
    while time.thread_time_ns() < until:
        pass


def padded_answer(size: int) -> bytes:
    """A JSON object of exactly *size* bytes (at least 10)."""
    return b'{"pad":"' + b"x" * (size - 10) + b'"}'


def serve_echo(port: int, spin_us: float = 0.0, answer_bytes: int = 0) -> None:
    """Run the echo app (the ``--serve-echo`` subprocess).

    With *spin_us*, each request also spends that much CPU after decoding and
    is answered with *answer_bytes* bytes: the guard's in-process cost and
    answer size, with no guard (the ``SPIN`` row). Such requests take turns
    at decoding and spending as the guard's requests do
    (:mod:`bastion.server._turns`), so that the two rows differ in the work
    done, not in the order it is done in.
    """
    decoder = msgspec.json.Decoder(GuardRequestBody)
    answer = padded_answer(answer_bytes) if answer_bytes else None
    turns = Turns()
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        body = await request.body()
        if not spin_us:
            decoder.decode(body)
            return Response(body, media_type="application/json")
        async with turns.turn():
            decoder.decode(body)
            spin(spin_us)
        return Response(answer or body, media_type="application/json")

    @app.get("/readyz")
    async def ready() -> Response:
        return Response(b"{}", media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


def little_floor(row: Row, workers: int) -> str:
    """What the machine allows at *row*'s concurrency, by Little's law.

    A closed loop keeps ``concurrency`` requests in the server, so the mean
    latency is ``concurrency / throughput``; with the server's CPU time per
    request ``c`` spent on ``min(workers, cores)`` cores at once, the
    throughput is about ``parallel / c``, so the mean latency is about
    ``concurrency * c / parallel`` (a little less where some of that CPU runs
    beside the worker, in its other threads), and p99 is never below the mean.
    """
    parallel = max(1, min(workers, os.cpu_count() or 1))
    cpu_us = row.cpu_per_request
    floor_us = row.concurrency * cpu_us / parallel
    budget_us = P99_TARGET_US * parallel / row.concurrency
    return (
        f"Little's law at concurrency {row.concurrency}: with {cpu_us:.0f} us of server CPU "
        f"per request and {parallel} of {os.cpu_count()} cores serving, the mean latency "
        f"is about {floor_us:.0f} us (measured: {row.mean:.0f} us); a p99 of "
        f"{P99_TARGET_US} us needs at most about {budget_us:.0f} us of CPU per request here "
        "(more workers on more cores raise it)"
    )


def resolved(choice: str, fast: str) -> str:
    """What uvicorn's ``auto`` picks: the fast implementation when it is installed."""
    if choice != "auto":
        return choice
    try:
        __import__(fast)
    except ImportError:
        return "asyncio" if fast == "uvloop" else "h11"
    return fast


def settings_for(args: argparse.Namespace) -> Settings:
    """Request counts for the chosen mode."""
    if args.quick:
        return Settings(requests_c1=100, requests_c8=400, rounds=1, warmup=10)
    return Settings(
        requests_c1=args.requests // 2, requests_c8=args.requests * 2, rounds=3, warmup=50
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="A short smoke run.")
    parser.add_argument("--requests", type=int, default=4000, help="Base request count.")
    parser.add_argument("--workers", type=int, default=1, help="Server worker processes.")
    parser.add_argument(
        "--threadpool", action="store_true", help="Run Guard.apply in the thread pool."
    )
    parser.add_argument(
        "--trace", action="store_true", help="Write every decision to a decision log."
    )
    parser.add_argument(
        "--also",
        action="append",
        choices=sorted(VARIANTS),
        default=[],
        help="Also time this variant, in the same rounds (repeatable).",
    )
    parser.add_argument(
        "--loop",
        default="auto",
        help="uvicorn event loop for bastion serve (auto, asyncio, uvloop)",
    )
    parser.add_argument(
        "--http",
        default="auto",
        help="uvicorn HTTP parser for bastion serve (auto, h11, httptools)",
    )
    parser.add_argument(
        "--wrk", action="store_true", help="Also load every server with wrk (if installed)."
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--spin-us", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--answer-bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_echo:
        serve_echo(args.serve_echo, args.spin_us, args.answer_bytes)
        return 0
    settings = settings_for(args)
    from bastion.server import Role, mint_key

    key, _ = mint_key("bench", [Role.GUARD_CLIENT])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs (timings assume a quiet machine)")
    bodies = make_bodies(64 if not args.quick else 16, args.seed)
    primary = Variant(workers=args.workers, threadpool=args.threadpool, trace=args.trace)
    variants = [primary, *(VARIANTS[name] for name in args.also if VARIANTS[name] != primary)]
    print(
        f"{CANDIDATES} candidates per request, {len(bodies[0]) / 1024:.0f} kB bodies; "
        f"uvicorn with loop {resolved(args.loop, 'uvloop')}, "
        f"http {resolved(args.http, 'httptools')}; Guard.apply inline unless the row says "
        "thread pool; no decision log unless it says so"
    )
    guard_headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    echo_headers = {"Content-Type": "application/json"}
    samples: dict[tuple[str, int], list[np.ndarray]] = {}
    seconds: dict[tuple[str, int], float] = {}
    cpu: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory(prefix="bastion-bench-") as tmp, ExitStack() as servers:
        save_catalogue(Path(tmp))
        stages = in_process(Path(tmp), bodies, 300 if args.quick else 1000)
        print(
            "in process, p50: decode {decode:.0f} µs, Guard.apply {apply:.0f} µs, "
            "encode {encode:.0f} µs".format(**stages)
        )
        targets = []
        for variant in variants:
            port = free_port()
            command = [
                sys.executable,
                "-c",
                "from bastion.cli import main; main()",
                "serve",
                "--config",
                str(write_config(Path(tmp), key, variant)),
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--loop",
                args.loop,
                "--http",
                args.http,
            ]
            server = servers.enter_context(Server(command, port))
            answer_bytes = check_answer(port, guard_headers, bodies[0])
            targets.append((variant.label, server, "/v1/guard", guard_headers))
        spin_us = stages["apply"] + stages["encode"]
        for label, extra in (
            (ECHO, []),
            (SPIN, ["--spin-us", f"{spin_us:.0f}", "--answer-bytes", str(answer_bytes)]),
        ):
            echo_port = free_port()
            here = [sys.executable, str(Path(__file__).resolve()), "--serve-echo", str(echo_port)]
            echo = servers.enter_context(Server([*here, *extra], echo_port))
            targets.append((label, echo, "/echo", echo_headers))
        for _ in range(settings.rounds):
            for concurrency, total in ((1, settings.requests_c1), (8, settings.requests_c8)):
                for name, server, path, headers in targets:
                    used = server.cpu_seconds()
                    latencies, elapsed = run_load(
                        server.port,
                        path,
                        headers,
                        bodies,
                        threads=concurrency,
                        per_thread=max(1, total // settings.rounds // concurrency),
                        warmup=settings.warmup,
                    )
                    key_ = (name, concurrency)
                    samples.setdefault(key_, []).append(latencies)
                    seconds[key_] = seconds.get(key_, 0.0) + elapsed
                    cpu[key_] = cpu.get(key_, 0.0) + server.cpu_seconds() - used
        wrk_rows: list[tuple[str, int, dict[str, float]]] = []
        if args.wrk and shutil.which("wrk") is None:
            print("--wrk: wrk is not installed (apt-get install wrk); skipping its table")
        elif args.wrk:
            for concurrency in (1, 8):
                for name, server, path, headers in targets:
                    figures = run_wrk(
                        server.port, path, headers, bodies[0], concurrency, 3 if args.quick else 8
                    )
                    wrk_rows.append((name, concurrency, figures))
    rows = [
        Row(
            name,
            concurrency,
            np.concatenate(parts),
            seconds[(name, concurrency)],
            cpu[(name, concurrency)],
        )
        for (name, concurrency), parts in samples.items()
    ]
    order = [label for label, *_ in targets]
    rows.sort(key=lambda r: (r.concurrency, order.index(r.server)))
    print_table(rows)
    if wrk_rows:
        print()
        print_wrk_table(wrk_rows)
        print()
    by_key = {(r.server, r.concurrency): r for r in rows}
    guard8 = by_key[(primary.label, 8)]
    echo8 = by_key[(ECHO, 8)]
    spin8 = by_key[(SPIN, 8)]
    guard1 = by_key[(primary.label, 1)]
    gap = guard8.percentile(99) - echo8.percentile(99)
    print(
        f"{primary.label}: target p99 <= {P99_TARGET_US} us at concurrency 8 "
        f"{'met' if guard8.percentile(99) <= P99_TARGET_US else 'missed'} "
        f"({guard8.percentile(99):.0f} us); within {ECHO_GAP_TARGET_US} us of echo: "
        f"{'met' if gap <= ECHO_GAP_TARGET_US else 'missed'} ({gap:+.0f} us)"
    )
    print(little_floor(guard8, primary.workers))
    print(
        f"{SPIN}: the echo server, also spending the guard's in-process time per request "
        f"(Guard.apply + encode medians, {spin_us:.0f} us of CPU) and answering "
        f"{answer_bytes / 1024:.0f} kB, with no guard: p99 {spin8.percentile(99):.0f} us at "
        "concurrency 8 (the guard's own CPU under the echo's serving cost, on one worker)"
    )
    print(
        f"BENCH serve_latency p50_us={guard8.percentile(50):.0f} "
        f"p99_us={guard8.percentile(99):.0f} "
        f"echo_p99_us={echo8.percentile(99):.0f} echo_p50_us={echo8.percentile(50):.0f} "
        f"c1_p50_us={guard1.percentile(50):.0f} c1_p99_us={guard1.percentile(99):.0f} "
        f"rps={guard8.rps:.0f} cpu_us={guard8.cpu_per_request:.0f} "
        f"apply_p50_us={stages['apply']:.0f} workers={primary.workers} "
        f"threadpool={int(primary.threadpool)} trace={int(primary.trace)} "
        f"spin_p99_us={spin8.percentile(99):.0f} spin_us={spin_us:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
