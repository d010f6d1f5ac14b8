"""YAML loading that remembers the line of every mapping key and list entry.

PyYAML forgets positions once it builds Python objects; policy errors must name
the line, so we construct from the node tree ourselves and keep a side table
from each value's path (``("rules", 2, "when")``) to its 1-based line.
Duplicate keys, which plain YAML loading silently collapses, are errors here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from bastion.core import PolicyError

Path = tuple[str | int, ...]


class LocatedYaml:
    """A parsed YAML document and the line of each value in it."""

    def __init__(self, data: Any, lines: dict[Path, int], file: str | None) -> None:
        self.data = data
        self.lines = lines
        self.file = file

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of *path*, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def error(self, message: str, path: Sequence[str | int], **where: str | None) -> PolicyError:
        """A :class:`PolicyError` located at *path*."""
        return PolicyError(message, file=self.file, line=self.line_of(path), **where)


def load_yaml(text: str, file: str | None = None) -> LocatedYaml:
    """Parse *text*, keeping line numbers.

    Raises:
        PolicyError: The text is not valid YAML, has duplicate keys or uses
            anchors, tags or other features that policy files do not need.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise PolicyError(
            f"not valid YAML: {problem}", file=file, line=mark.line + 1 if mark else None
        ) from None
    lines: dict[Path, int] = {}
    if node is None:
        return LocatedYaml(None, lines, file)
    constructor = yaml.SafeLoader("")
    data = _build(node, (), lines, constructor, file)
    return LocatedYaml(data, lines, file)


def _build(
    node: yaml.Node,
    path: Path,
    lines: dict[Path, int],
    constructor: yaml.SafeLoader,
    file: str | None,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, constructor, file)
            if not isinstance(key, str | int | float | bool):
                raise PolicyError(
                    "mapping keys must be plain values",
                    file=file,
                    line=key_node.start_mark.line + 1,
                )
            key_text = str(key) if not isinstance(key, str) else key
            if key_text in result:
                raise PolicyError(
                    f"duplicate key {key_text!r}", file=file, line=key_node.start_mark.line + 1
                )
            result[key_text] = _build(value_node, (*path, key_text), lines, constructor, file)
            lines[(*path, key_text)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), lines, constructor, file)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, constructor, file)


def _scalar(node: yaml.Node, constructor: yaml.SafeLoader, file: str | None) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise PolicyError("expected a plain value here", file=file, line=node.start_mark.line + 1)
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError as error:
        raise PolicyError(
            f"bad value: {str(error).splitlines()[0]}", file=file, line=node.start_mark.line + 1
        ) from None
