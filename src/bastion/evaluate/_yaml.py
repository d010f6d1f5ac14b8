"""Suite YAML with line numbers: :mod:`bastion._yaml`, raising :class:`SuiteError`.

Anchors, aliases and ``<<`` merge keys work as in YAML 1.1, and any scalar but
null may be a key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bastion._yaml import Dialect, YamlDocument, YamlProblem, load_one
from bastion.evaluate._errors import SuiteError

_DIALECT = Dialect(merge_keys=True, scalar_keys=True)


@dataclass(slots=True, eq=False)
class LocatedDoc(YamlDocument):
    """A parsed suite document, the line of each value in it and its file."""

    file: str | None

    def error(self, message: str, path: Sequence[str | int]) -> SuiteError:
        """A :class:`SuiteError` at *path* (its field is the dotted path)."""
        field = ".".join(str(part) for part in path) or None
        return SuiteError(message, file=self.file, line=self.line_of(path), field=field)


def load_located(text: str, file: str | None = None) -> LocatedDoc:
    """Parse *text*, keeping line numbers.

    Raises:
        SuiteError: The text is not valid YAML or has duplicate keys (then the
            field is the key).
    """
    try:
        doc = load_one(text, _DIALECT)
    except YamlProblem as problem:
        raise SuiteError(
            problem.message, file=file, line=problem.line, field=problem.field
        ) from None
    return LocatedDoc(doc.data, doc.lines, file)
