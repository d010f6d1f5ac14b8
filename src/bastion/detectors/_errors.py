"""Errors of the detectors plane."""

from __future__ import annotations

from bastion.core import BastionError


class DetectorError(BastionError):
    """A detector cannot be built, loaded or run as asked."""


class ModelNotFoundError(DetectorError):
    """A detector's model file is missing; the message names the command that trains it."""

    def __init__(self, name: str, path: str, train_command: str) -> None:
        self.name = name
        self.path = path
        self.train_command = train_command
        super().__init__(
            f"detector {name!r}: no model file at {path}; train one with: {train_command}"
        )


class DataError(DetectorError):
    """A data file is malformed: names the file, the line (when known) and the field.

    Attributes:
        message: What is wrong, in one sentence.
        file: The file the problem is in.
        line: The 1-based line in that file, when known.
        field: The column or field concerned, when known.
    """

    def __init__(
        self, message: str, *, file: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        where = file if line is None else f"{file}:{line}"
        column = "" if field is None else f" [{field}]"
        super().__init__(f"{where}{column}: {message}")
