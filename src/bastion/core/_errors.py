"""Errors shared by every plane.

Authoring errors (a bad policy file, a bad case file) are kept apart from
runtime errors (a malformed request, an unreachable store): the first are found
once at load and name the file, line and field; the second are per call.
"""

from __future__ import annotations


class BastionError(Exception):
    """Base class of every error Bastion raises on purpose."""


class PolicyError(BastionError):
    """A policy bundle (or one of its parts) is invalid.

    Attributes:
        message: What is wrong, in one sentence.
        file: The file the problem is in, when known.
        line: The 1-based line in that file, when known.
        rule: The id of the rule, constraint or breaker concerned, when known.
        field: The field of that entry (``when``, ``action`` ...), when known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        rule: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.rule = rule
        self.field = field
        super().__init__(self.__str__())

    def located(
        self,
        *,
        file: str | None = None,
        line: int | None = None,
        rule: str | None = None,
        field: str | None = None,
    ) -> PolicyError:
        """Return a copy that fills in any location this error does not know yet."""
        return PolicyError(
            self.message,
            file=self.file or file,
            line=self.line or line,
            rule=self.rule or rule,
            field=self.field or field,
        )

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        elif self.line:
            where = f"line {self.line}"
        parts = []
        if self.rule:
            parts.append(f"rule {self.rule!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        context = ", ".join(parts)
        prefix = ": ".join(p for p in (where, context) if p)
        return f"{prefix}: {self.message}" if prefix else self.message


class RequestError(BastionError, ValueError):
    """A guard request is malformed; nothing was decided for it."""


class SignalStoreError(BastionError):
    """A signal store could not load, save or serve signals."""
