"""Shared terminal output: one console, errors that name where they are."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from bastion.core import BastionError

# Logs and pipes get a fixed width instead of Rich's 80 columns, so tables stay readable.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 130)
errors = Console(stderr=True, highlight=False)


def fail(error: BastionError | str, code: int = 1) -> NoReturn:
    """Print *error* to stderr and exit with *code*."""
    # One unwrapped line, so that editors and grep can jump to file:line.
    errors.print(f"[bold red]error[/]: {escape(str(error))}", soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """Write *data* as JSON to stdout, for scripts."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
