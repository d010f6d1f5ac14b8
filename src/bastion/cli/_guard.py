"""``bastion guard apply``: run one request through a bundle from files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bastion.cli._output import console, fail, print_json
from bastion.core import BastionError, GuardRequest, GuardResult, RequestError
from bastion.guard import Guard
from bastion.policy import load_bundle

app = typer.Typer(help="Apply a policy bundle to ranked slates.", no_args_is_help=True)


@app.command()
def apply(
    policy: Annotated[Path, typer.Option(help="The policy bundle (YAML).", show_default=False)],
    signals: Annotated[
        Path,
        typer.Option(
            help="Item signals: Parquet, CSV or JSONL with an 'id' column.", show_default=False
        ),
    ],
    request: Annotated[Path, typer.Option(help="The guard request (JSON).", show_default=False)],
    creators: Annotated[
        Path | None, typer.Option(help="Creator signals, same formats, 'id' column.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Decide one request and print a decision per candidate."""
    from bastion.stores import MemorySignalStore, load_signals

    store = MemorySignalStore()
    try:
        load_signals(store, signals, entity="item")
        if creators is not None:
            load_signals(store, creators, entity="creator")
        bundle = load_bundle(policy, store.schema)
        guard = Guard(bundle, store)
        result = guard.apply(_read_request(request))
    except BastionError as error:
        fail(error)
    if json_output:
        print_json(result_to_json(result))
    else:
        print_result(result)


def _read_request(path: Path) -> GuardRequest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RequestError(f"{path}: cannot read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise RequestError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None
    try:
        return GuardRequest.from_dict(data)
    except RequestError as error:
        raise RequestError(f"{path}: {error}") from None


def result_to_json(result: GuardResult) -> dict[str, object]:
    """A JSON-ready view of a result."""
    return {
        "request_id": result.request_id,
        "slate": list(result.slate),
        "policy_version": result.policy_version,
        "fallback": result.fallback,
        "latency_us": round(result.latency_us, 1),
        "breakers": [
            {"id": b.breaker_id, "status": b.status.value, "value": b.value, "events": b.events}
            for b in result.breakers
        ],
        "decisions": [
            {
                "item_id": d.item_id,
                "action": d.action.value,
                "factor": d.factor,
                "rules": list(d.rules),
                "labels": list(d.labels),
                "out_rank": d.out_rank,
                "constraints": list(d.constraints),
            }
            for d in result.decisions
        ],
    }


def print_result(result: GuardResult, *, limit: int | None = None) -> None:
    """Print a result as a table, one row per candidate."""
    table = Table(title=f"request {result.request_id}: slate of {len(result.slate)}")
    for column in ("item", "action", "factor", "rules", "labels", "position"):
        table.add_column(column)
    styles = {"block": "red", "demote": "yellow", "label": "cyan", "allow": "green"}
    decisions = list(result.decisions)
    for d in decisions[:limit]:
        table.add_row(
            d.item_id,
            f"[{styles[d.action.value]}]{d.action.value}[/]",
            f"{d.factor:g}",
            ", ".join(d.rules) or "-",
            ", ".join(d.labels) or "-",
            ("-" if d.out_rank is None else str(d.out_rank))
            + (f" ({', '.join(d.constraints)})" if d.constraints else ""),
        )
    console.print(table)
    if limit is not None and len(decisions) > limit:
        console.print(f"... {len(decisions) - limit} more candidates")
    fallback = f", fallback {result.fallback}" if result.fallback else ""
    breakers = ", ".join(f"{b.breaker_id}={b.status.value}" for b in result.breakers) or "none"
    console.print(
        f"slate: {', '.join(result.slate) or '(empty)'}\n"
        f"policy {result.policy_version[:12]}, breakers: {breakers}{fallback}, "
        f"{result.latency_us:.0f} µs"
    )
