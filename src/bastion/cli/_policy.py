"""``bastion policy``: check bundles and run table-driven policy tests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from bastion.cli._output import console, fail, print_json
from bastion.core import BastionError, Entity, SignalSchema
from bastion.policy import Bundle, load_bundle
from bastion.signals import STANDARD_SIGNALS

app = typer.Typer(help="Validate policy bundles and run their tests.", no_args_is_help=True)

BundleArg = Annotated[Path, typer.Argument(help="A policy bundle (YAML).", show_default=False)]


def _provided(signals: Path | None) -> SignalSchema:
    if signals is None:
        return STANDARD_SIGNALS
    from bastion.stores import MemorySignalStore, load_signals

    store = MemorySignalStore()
    entity: Entity = "creator" if "creator" in signals.name else "item"
    load_signals(store, signals, entity=entity)
    return store.schema


@app.command()
def check(
    bundle_file: BundleArg,
    signals: Annotated[
        Path | None,
        typer.Option(
            help="Type-check against this signal file's fields instead of the standard signals."
        ),
    ] = None,
    plan: Annotated[bool, typer.Option(help="Show the generated plan and its SQL.")] = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Validate a bundle and print its compiled plan.

    Exits 1 with the file, line, rule and problem when the bundle is invalid.
    """
    try:
        bundle = load_bundle(bundle_file, _provided(signals))
    except BastionError as error:
        fail(error)
    if json_output:
        print_json(_summary(bundle))
        return
    console.print(
        f"[bold green]ok[/] {bundle_file}: bundle [bold]{bundle.name}[/] "
        f"version {bundle.short_version} — {_count(bundle.spec.rules, 'rule')}, "
        f"{_count(bundle.spec.constraints, 'constraint')}, "
        f"{_count(bundle.spec.breakers, 'breaker')}"
    )
    table = Table(
        title="Rules (precedence: allow over lower priority, then block > demote > label)"
    )
    for column in ("id", "action", "priority", "when"):
        table.add_column(column)
    for rule, sql in zip(bundle.spec.rules, bundle.plan.sql, strict=True):
        detail = rule.action.value
        if rule.factor is not None:
            detail += f" ×{rule.factor:g}"
        if rule.label:
            detail += f" [{rule.label}]"
        table.add_row(escape(rule.id), escape(detail), str(rule.priority), escape(sql))
    console.print(table)
    fields = Table(title="Signals read")
    for column in ("field", "type", "when missing"):
        fields.add_column(column)
    for f in bundle.read_fields():
        fields.add_row(f.name, f.type.value, "NULL" if f.default is None else repr(f.default))
    console.print(fields)
    for constraint in bundle.spec.constraints:
        if constraint.max_per_creator is not None:
            console.print(
                f"constraint [bold]{constraint.id}[/]: at most {constraint.max_per_creator} per "
                f"creator in any {constraint.window} positions"
            )
        else:
            console.print(
                f"constraint [bold]{constraint.id}[/]: items sharing {constraint.field} at least "
                f"{constraint.min_gap} positions apart"
            )
    for breaker in bundle.spec.breakers:
        console.print(
            f"breaker [bold]{breaker.id}[/]: {breaker.watch} over {breaker.over:g}s > "
            f"{breaker.trip_above:g} (min {breaker.min_events} events) -> {breaker.fallback}"
        )
    if plan:
        console.print(Syntax(bundle.plan.source, "python", theme="ansi_dark"))


def _count(entries: list[Any], noun: str) -> str:
    return f"{len(entries)} {noun}{'' if len(entries) == 1 else 's'}"


def _summary(bundle: Bundle) -> dict[str, object]:
    return {
        "name": bundle.name,
        "version": bundle.version,
        "rules": [
            {"id": r.id, "action": r.action.value, "priority": r.priority, "sql": sql}
            for r, sql in zip(bundle.spec.rules, bundle.plan.sql, strict=True)
        ],
        "fields": [
            {"name": f.name, "type": f.type.value, "default": f.default}
            for f in bundle.read_fields()
        ],
        "constraints": [c.model_dump(exclude_none=True) for c in bundle.spec.constraints],
        "breakers": [b.model_dump(exclude_none=True) for b in bundle.spec.breakers],
        "plan": bundle.plan.source,
    }


@app.command("test")
def test_cases(
    bundle_file: BundleArg,
    cases_file: Annotated[Path, typer.Argument(help="A case file (YAML).", show_default=False)],
    json_output: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Run table-driven cases against a bundle; exit 1 if any fails.

    Each case gives items with their signals, creators, the user, and the
    expected action (or rules, labels, factor, position) per item.
    """
    from bastion.testing import run_case_file

    try:
        report = run_case_file(bundle_file, cases_file)
    except BastionError as error:
        fail(error)
    if json_output:
        print_json(
            {
                "bundle": report.bundle.name,
                "version": report.bundle.version,
                "passed": report.passed,
                "cases": [
                    {
                        "name": r.name,
                        "line": r.line,
                        "passed": r.passed,
                        "failures": list(r.failures),
                    }
                    for r in report.results
                ],
            }
        )
    else:
        for result in report.results:
            mark = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
            console.print(f"{mark} {cases_file}:{result.line} {result.name}")
            for failure in result.failures:
                console.print(f"     [red]- {failure}[/]")
        total = len(report.results)
        colour = "green" if report.passed else "red"
        console.print(
            f"[{colour}]{total - report.failed} passed, {report.failed} failed[/] "
            f"(bundle {report.bundle.name} {report.bundle.short_version})"
        )
    if not report.passed:
        raise typer.Exit(1)
