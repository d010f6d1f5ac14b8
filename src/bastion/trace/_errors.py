"""Errors of the decision log."""

from __future__ import annotations

from bastion.core import BastionError


class TraceError(BastionError):
    """The decision log cannot do what was asked."""


class TraceCorruptError(TraceError):
    """Stored log data fails its checks (not a torn tail, which is repaired)."""


class TraceNotFoundError(TraceError):
    """No record for the request (or item) asked about."""
