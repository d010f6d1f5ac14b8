"""Policy YAML with line numbers: :mod:`bastion._yaml`, raising :class:`PolicyError`.

Merge keys, YAML 1.2 floats and keys other than text, numbers and booleans
are not accepted in policy files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bastion._yaml import YamlDocument, YamlProblem, load_one
from bastion.core import PolicyError


@dataclass(slots=True, eq=False)
class LocatedYaml(YamlDocument):
    """A parsed policy document, the line of each value in it and its file."""

    file: str | None

    def error(self, message: str, path: Sequence[str | int], **where: str | None) -> PolicyError:
        """A :class:`PolicyError` located at *path*."""
        return PolicyError(message, file=self.file, line=self.line_of(path), **where)


def load_yaml(text: str, file: str | None = None) -> LocatedYaml:
    """Parse *text*, keeping line numbers.

    Raises:
        PolicyError: The text is not valid YAML, has duplicate keys or keys
            that are not plain values.
    """
    try:
        doc = load_one(text)
    except YamlProblem as problem:
        raise PolicyError(problem.message, file=file, line=problem.line) from None
    return LocatedYaml(doc.data, doc.lines, file)
