"""Shared terminal output: one console, errors that name where they are."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from bastion.core import BastionError, PolicyError

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def fail(error: BastionError | str, code: int = 1) -> NoReturn:
    """Print *error* to stderr and exit with *code*."""
    if isinstance(error, PolicyError):
        errors.print(f"[bold red]error[/]: {error}")
    else:
        errors.print(f"[bold red]error[/]: {error}")
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """Write *data* as JSON to stdout, for scripts."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
