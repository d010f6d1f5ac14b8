"""Scenario YAML with line numbers: :mod:`bastion._yaml`, raising :class:`ScenarioError`.

``1e-5`` reads as a number, as in YAML 1.2: a scenario author should not need
to write ``1.0e-5``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bastion._yaml import Dialect, YamlDocument, YamlProblem, load_one
from bastion.sim._errors import ScenarioError

_DIALECT = Dialect(yaml12_floats=True)


@dataclass(slots=True, eq=False)
class LocatedYaml(YamlDocument):
    """A parsed scenario document, the line of each value in it and its file."""

    file: str | None

    def error(self, message: str, path: Sequence[str | int]) -> ScenarioError:
        """A :class:`ScenarioError` located at *path* (its field is the dotted path)."""
        field = ".".join(str(part) for part in path) or None
        return ScenarioError(message, file=self.file, line=self.line_of(path), field=field)


def load_yaml(text: str, file: str | None = None) -> LocatedYaml:
    """Parse *text*, keeping line numbers.

    Raises:
        ScenarioError: The text is not valid YAML, has duplicate keys or keys
            that are not plain values.
    """
    try:
        doc = load_one(text, _DIALECT)
    except YamlProblem as problem:
        raise ScenarioError(problem.message, file=file, line=problem.line) from None
    return LocatedYaml(doc.data, doc.lines, file)
