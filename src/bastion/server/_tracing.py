"""The one place the server imports the decision log from."""

from __future__ import annotations

from bastion.trace import (
    Explanation,
    TraceConfig,
    TraceError,
    TraceNotFoundError,
    TraceReader,
    TraceWriter,
    WriterStats,
)

__all__ = [
    "Explanation",
    "TraceConfig",
    "TraceError",
    "TraceNotFoundError",
    "TraceReader",
    "TraceWriter",
    "WriterStats",
]
