"""``bastion trace``: explain, query, summarise and verify the decision log."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.markup import escape
from rich.table import Table

from bastion.cli._output import console, fail, print_json
from bastion.core import BastionError

app = typer.Typer(
    help="Explain, query and verify the decision log (the trace).", no_args_is_help=True
)

LogOption = Annotated[
    Path,
    typer.Option(
        "--log",
        envvar="BASTION_TRACE_DIR",
        help="The decision log directory (env BASTION_TRACE_DIR).",
        show_default=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _reader(log: Path) -> Any:
    from bastion.trace import TraceReader

    try:
        return TraceReader(log)
    except BastionError as error:
        fail(error)


@app.command()
def why(
    request_id: Annotated[str, typer.Argument(help="The request to explain.", show_default=False)],
    item_id: Annotated[
        str | None, typer.Argument(help="One candidate of it (default: every changed item).")
    ] = None,
    log: LogOption = Path("trace"),
    json_output: JsonOption = False,
) -> None:
    """Explain in plain language why a request's slate (or one item) came out as it did.

    Shows the ranker model and version, each item's input rank, score and top
    attributions, the signal values the rules read, every rule that fired and
    its action, constraint effects, breaker states and the final position.
    """
    try:
        explanation = _reader(log).explain(request_id, item_id)
    except BastionError as error:
        fail(error)
    if json_output:
        print_json(explanation.to_dict())
    else:
        console.print(escape(explanation.to_text()), soft_wrap=True)


@app.command()
def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="DuckDB SQL over the views `requests` and `decisions`.", show_default=False
        ),
    ],
    log: LogOption = Path("trace"),
    output: Annotated[str, typer.Option(help="table, json or csv.")] = "table",
    limit: Annotated[int, typer.Option(help="Rows to show in a table.")] = 50,
) -> None:
    """Run SQL over the log.

    Example: bastion trace query "SELECT action, count(*) FROM decisions GROUP BY 1"
    """
    if output not in {"table", "json", "csv"}:
        fail(f"--output {output!r}: expected table, json or csv")
    try:
        result = _reader(log).query(sql)
    except BastionError as error:
        fail(error)
    _emit(result, output, limit, title=None)


@app.command()
def stats(
    log: LogOption = Path("trace"),
    bucket: Annotated[str, typer.Option(help="Time bucket: 30s, 5m, 1h, 1d.")] = "1m",
    group_by: Annotated[
        str, typer.Option(help="Creator grouping: creator_id or a signal like creator.group.")
    ] = "creator_id",
    json_output: JsonOption = False,
) -> None:
    """Block rate by rule over time, exposure share by creator group, breaker trips."""
    from bastion.trace import trace_stats

    try:
        found = trace_stats(_reader(log), bucket=bucket, group_by=group_by)
    except BastionError as error:
        fail(error)
    tables = {
        "block rate by rule": found.block_rate_by_rule,
        f"exposure by {group_by}": found.exposure_by_group,
        "breaker trips": found.breaker_trips,
    }
    if json_output:
        print_json({name: table.to_pylist() for name, table in tables.items()})
        return
    for name, table in tables.items():
        _emit(table, "table", 40, title=name)


@app.command()
def verify(
    log: LogOption = Path("trace"),
    expect_head: Annotated[
        str | None, typer.Option(help="The last record hash you kept elsewhere (anchoring).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Check the hash chain, Merkle roots and every row; exit 1 on any problem.

    Reports edited, removed, reordered or inserted records with the segment and
    position. Prints the head hash: keep it outside the log to detect a
    wholesale rewrite later (--expect-head).
    """
    from bastion.trace import verify as verify_log

    if not (log / "segments").is_dir():
        fail(f"{log}: not a decision log (no segments/ folder)")
    report = verify_log(log, expect_head=expect_head)
    if json_output:
        print_json(
            {
                "ok": report.ok,
                "segments": report.segments,
                "records": report.records,
                "open_records": report.open_records,
                "items": report.items,
                "head": report.head,
                "problems": [str(p) for p in report.problems],
                "warnings": [str(p) for p in report.warnings],
            }
        )
    else:
        for problem in report.problems:
            console.print(f"[bold red]problem[/] {escape(str(problem))}", soft_wrap=True)
        for warning in report.warnings:
            console.print(f"[yellow]warning[/] {escape(str(warning))}", soft_wrap=True)
        verdict = "[bold green]ok[/]" if report.ok else "[bold red]FAILED[/]"
        console.print(
            f"{verdict} {report.segments} sealed segments, {report.records} records "
            f"({report.items} item decisions), {report.open_records} open records; "
            f"head {report.head}"
        )
    if not report.ok:
        raise typer.Exit(1)


def _emit(table: pa.Table, output: str, limit: int, title: str | None) -> None:
    rows = table.to_pylist()
    if output == "json":
        print_json(rows)
        return
    if output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(table.column_names)
        writer.writerows([row[c] for c in table.column_names] for row in rows)
        return
    view = Table(title=title, title_justify="left")
    for name in table.column_names:
        view.add_column(escape(name), overflow="fold")
    for row in rows[:limit]:
        view.add_row(*(escape(_cell(row[c])) for c in table.column_names))
    console.print(view)
    if len(rows) > limit:
        console.print(f"[dim]{len(rows) - limit} more rows (use --limit or --output csv)[/]")
    if not rows:
        console.print("[dim](no rows)[/]")


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
