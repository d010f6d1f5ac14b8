"""``bastion demo``: the guard quickstart on a synthetic feed, no services needed.

Builds a seeded catalogue of items and creators with detector-style signals,
serves ranked slates through the example feed-safety bundle, then simulates a
detector outage so the ``detector-outage`` breaker trips to ``fail_closed``
and recovers after its cooldown. Every decision is written to a decision log,
which is verified at the end and asked ``why`` one item was blocked.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from bastion.cli._guard import print_result
from bastion.cli._output import console, fail
from bastion.core import (
    Action,
    BastionError,
    Candidate,
    Entity,
    GuardRequest,
    GuardResult,
    ManualClock,
    SignalBatch,
    SignalSchema,
    UserContext,
)
from bastion.guard import Guard
from bastion.policy import load_bundle
from bastion.signals import STANDARD_SIGNALS
from bastion.stores import MemorySignalStore
from bastion.trace import TraceConfig, TraceReader, TraceWriter, verify

TOPICS = ("music", "dance", "food", "sport", "news", "gaming", "comedy", "beauty")
DETECTOR_KEYS = ("hate", "violence", "self_harm", "toxicity", "nsfw", "spam", "misinfo")


def find_example(name: str) -> Path:
    """Locate ``examples/policies/NAME`` from the working directory or the source tree."""
    for root in (Path.cwd(), *Path(__file__).resolve().parents):
        candidate = root / "examples" / "policies" / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"examples/policies/{name} not found; pass --policy")


class _Outage:
    """A signal store whose detector columns go missing for a share of items."""

    def __init__(self, inner: MemorySignalStore, share: float, seed: int) -> None:
        self.inner = inner
        self.share = share
        self.rng = np.random.default_rng(seed)

    @property
    def schema(self) -> SignalSchema:
        return self.inner.schema

    def lookup(self, entity: Entity, ids: Sequence[str], keys: Sequence[str]) -> SignalBatch:
        batch = self.inner.lookup(entity, ids, keys)
        if entity != "item" or self.share <= 0:
            return batch
        dropped = self.rng.random(len(ids)) < self.share
        columns = dict(batch.columns)
        for key in keys:
            if key in DETECTOR_KEYS:
                column = columns[key].copy()
                column[dropped] = np.nan
                columns[key] = column
        return SignalBatch(entity, batch.ids, columns, batch.found)

    def put(
        self, entity: Entity, ids: Sequence[str], columns: Mapping[str, Sequence[object]]
    ) -> None:
        self.inner.put(entity, ids, columns)


def build_catalogue(items: int, creators: int, seed: int) -> MemorySignalStore:
    """A seeded catalogue with detector-like signal distributions."""
    rng = np.random.default_rng(seed)
    store = MemorySignalStore(schema=SignalSchema.of(list(STANDARD_SIGNALS)))
    creator_ids = [f"creator-{k:04d}" for k in range(creators)]
    risk = rng.beta(1.2, 6.0, creators)
    creator_columns: dict[str, Any] = {
        "risk": risk,
        "verified": list(rng.random(creators) < 0.15),
        "group": [("newsroom" if rng.random() < 0.03 else "individual") for _ in creator_ids],
        "followers": np.round(rng.lognormal(7, 2, creators)),
    }
    store.put("creator", creator_ids, creator_columns)
    item_ids = [f"item-{k:05d}" for k in range(items)] + [
        f"evergreen-{k:03d}" for k in range(1, 11)
    ]
    n = len(item_ids)
    owner = rng.integers(0, creators, n)
    harm = risk[owner]  # riskier creators post riskier content
    columns: dict[str, Any] = {
        "creator_id": [creator_ids[o] for o in owner],
        "topic": [TOPICS[t] for t in rng.integers(0, len(TOPICS), n)],
        "mature": list(rng.random(n) < 0.05),
    }
    for key, scale in (
        ("hate", 0.8),
        ("violence", 0.7),
        ("self_harm", 0.5),
        ("toxicity", 1.2),
        ("nsfw", 1.0),
        ("spam", 0.6),
        ("misinfo", 1.0),
    ):
        columns[key] = np.clip(rng.beta(0.4, 8.0, n) + scale * harm * rng.random(n), 0.0, 1.0)
    for key in DETECTOR_KEYS:
        values = np.asarray(columns[key], dtype=float)
        values[-10:] = 0.0  # the evergreen pool is pre-vetted
        columns[key] = values
    store.put("item", item_ids, columns)
    return store


def _request(rng: np.random.Generator, number: int, items: int, size: int) -> GuardRequest:
    picks = rng.choice(items, size=size, replace=False)
    scores = np.sort(rng.random(size))[::-1]
    teen = rng.random() < 0.15
    return GuardRequest(
        request_id=f"req-{number:06d}",
        candidates=[
            Candidate(f"item-{p:05d}", float(s), rank)
            for rank, (p, s) in enumerate(zip(picks, scores, strict=True))
        ],
        slate_size=20,
        user=UserContext(
            user_id=f"user-{rng.integers(0, 50_000)}",
            age_band="13-17" if teen else str(rng.choice(["18-24", "25-34", "35-44", "45+"])),
            region=str(rng.choice(["US", "DE", "BR", "IN", "JP"])),
        ),
        surface=str(rng.choice(["feed", "explore", "following"], p=[0.7, 0.2, 0.1])),
    )


def demo(
    requests: Annotated[int, typer.Option(help="Requests per phase.", min=10)] = 2000,
    candidates: Annotated[int, typer.Option(help="Candidates per slate.", min=20)] = 500,
    policy: Annotated[
        Path | None,
        typer.Option(help="Bundle to run (default: examples/policies/feed-safety.yaml)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    trace: Annotated[
        Path | None,
        typer.Option(
            help="Write the decision log here (default: a temporary folder, removed at the end)."
        ),
    ] = None,
) -> None:
    """Run the guard quickstart: a synthetic feed, then a detector outage and recovery.

    Every decision goes to a decision log; the demo ends by verifying the log
    and explaining one blocked item with `why`.
    """
    try:
        bundle_path = policy or find_example("feed-safety.yaml")
    except FileNotFoundError as error:
        fail(str(error))
    items = 20_000
    store = build_catalogue(items, 1_500, seed)
    outage = _Outage(store, share=0.0, seed=seed)
    clock = ManualClock(start=time.time())
    with ExitStack() as cleanup:
        log_dir = trace or Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
        writer = TraceWriter(
            TraceConfig(directory=log_dir, hmac_key=secrets.token_hex(32), on_full="block")
        )
        try:
            guard = Guard(load_bundle(bundle_path, store.schema), outage, clock=clock, sink=writer)
        except BastionError as error:
            fail(error)
        with writer:
            example = _run(
                guard,
                outage,
                clock,
                store_items=items,
                requests=requests,
                candidates=candidates,
                seed=seed,
            )
        _show_trace(log_dir, example, kept=trace is not None)


def _run(
    guard: Guard,
    outage: _Outage,
    clock: ManualClock,
    *,
    store_items: int,
    requests: int,
    candidates: int,
    seed: int,
) -> GuardResult | None:
    items = store_items
    console.print(
        f"[bold]Bastion guard quickstart[/]: bundle [bold]{guard.bundle.name}[/] "
        f"{guard.bundle.short_version}, {items:,} items, {candidates} candidates per slate"
    )
    rng = np.random.default_rng(seed)
    phases = [
        ("normal traffic", 0.0),
        ("detector outage (70% of signals missing)", 0.7),
        ("recovery", 0.0),
    ]
    summary = Table(title="What the guard did")
    for column in (
        "phase",
        "p50 µs",
        "p99 µs",
        "blocked",
        "demoted",
        "labelled",
        "fallbacks",
        "breakers at end",
    ):
        summary.add_column(column)
    fired: Counter[str] = Counter()
    example = None
    number = 0
    with Progress(console=console, transient=True) as progress:
        for phase, share in phases:
            outage.share = share
            if phase == "recovery":
                clock.advance(31.0)  # past the breaker's 30 s cooldown
            task = progress.add_task(phase, total=requests)
            latencies = np.empty(requests)
            actions: Counter[Action] = Counter()
            fallbacks: Counter[str] = Counter()
            for k in range(requests):
                number += 1
                request = _request(rng, number, items, candidates)
                started = time.perf_counter()
                result = guard.apply(request)
                latencies[k] = (time.perf_counter() - started) * 1e6
                clock.advance(0.05)  # simulated traffic: 20 requests a second
                actions.update(result.decisions.counts())
                if result.fallback:
                    fallbacks[result.fallback] += 1
                if share == 0.0 and phase == "normal traffic":
                    for decision in result.decisions:
                        fired.update(r for r in decision.rules if not r.startswith("breaker:"))
                    if example is None and request.user.age_band == "13-17":
                        example = result
                progress.advance(task)
            total = sum(actions.values())
            summary.add_row(
                f"{phase} ({requests:,} requests)",
                f"{np.median(latencies):.0f}",
                f"{np.percentile(latencies, 99):.0f}",
                f"{actions[Action.BLOCK] / total:.1%}",
                f"{actions[Action.DEMOTE] / total:.1%}",
                f"{actions[Action.LABEL] / total:.1%}",
                ", ".join(f"{name} ×{count}" for name, count in fallbacks.items()) or "-",
                "\n".join(f"{b.breaker_id}: {b.status.value}" for b in guard.breaker_states()),
            )
    console.print(summary)
    rules = Table(title="Rules fired (normal traffic)")
    rules.add_column("rule")
    rules.add_column("items", justify="right")
    for rule, count in fired.most_common():
        rules.add_row(rule, f"{count:,}")
    console.print(rules)
    if example is not None:
        console.print("[bold]One teen's request[/], first 12 candidates:")
        print_result(example, limit=12)
    return example


def _show_trace(log_dir: Path, example: GuardResult | None, *, kept: bool) -> None:
    report = verify(log_dir)
    state = "[bold green]verified[/]" if report.ok else "[bold red]FAILED verification[/]"
    console.print(
        f"[bold]Decision log[/]: {report.records + report.open_records:,} records "
        f"({report.items:,} item decisions sealed) {state}; head {report.head[:16]}…"
    )
    if example is not None:
        blocked = next((d for d in example.decisions if d.action is Action.BLOCK), None)
        if blocked is not None:
            console.print(
                f"[bold]bastion trace why {example.request_id} {blocked.item_id}[/] says:"
            )
            explanation = TraceReader(log_dir).explain(example.request_id, blocked.item_id)
            console.print(escape(explanation.to_text()), soft_wrap=True)
    if kept:
        console.print(f"The log is in {log_dir}: try [bold]bastion trace stats --log {log_dir}[/]")
    console.print(
        "Next: [bold]bastion policy check examples/policies/feed-safety.yaml[/] "
        "shows the compiled plan; "
        "[bold]bastion policy test[/] runs a bundle's cases."
    )
