"""YAML that remembers the line of every mapping key and list entry.

PyYAML forgets positions once it builds Python objects, and authoring errors
(policies, scenarios, suites, manifests) must name the line, so documents are
built from PyYAML's node tree with a side table from each value's path
(``("rules", 2, "when")``) to its 1-based line. Duplicate keys, which plain
YAML loading silently collapses, are errors, and so are keys that are not
plain values. Every problem is a :class:`YamlProblem`; each plane turns it
into its own error class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

YamlPath = tuple[str | int, ...]

_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_FLOAT = "tag:yaml.org,2002:float"
# YAML 1.2 floats that YAML 1.1 reads as text: an exponent without a dot (``1e-5``).
_YAML12_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")


class YamlProblem(Exception):
    """Why a YAML text was refused.

    Attributes:
        message: What is wrong, in one sentence.
        line: The 1-based line of the problem, when known.
        field: The key concerned (a duplicate key), when there is one.
    """

    def __init__(self, message: str, line: int | None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one plane reads YAML; the defaults are PyYAML's safe loader, strictly.

    Attributes:
        merge_keys: ``<<: *anchor`` merges mappings as in YAML 1.1 (keys the
            mapping sets itself win); otherwise ``<<`` is a bad value.
        yaml12_floats: ``1e-5`` is a number, as in YAML 1.2, not text as in YAML 1.1.
        libyaml: Compose with libyaml when it is installed: about ten times
            faster, and its syntax errors are worded by libyaml.
        scalar_keys: Any scalar but null may be a key (a date, binary data),
            written with ``str()``; otherwise keys are text, numbers or booleans.
        short_problems: A syntax error that has no problem text quotes the
            first line of PyYAML's message rather than all of it.
    """

    merge_keys: bool = False
    yaml12_floats: bool = False
    libyaml: bool = False
    scalar_keys: bool = False
    short_problems: bool = False


STRICT = Dialect()


class Lines:
    """Looks paths up in a ``lines`` table; mixed into the located document types."""

    __slots__ = ()
    lines: dict[YamlPath, int]

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of *path*, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())


@dataclass(slots=True, eq=False)
class YamlDocument(Lines):
    """One parsed YAML document and the 1-based line of each value in it, by path."""

    data: Any
    lines: dict[YamlPath, int]


def load_one(text: str, dialect: Dialect = STRICT) -> YamlDocument:
    """The single document of *text*, keeping line numbers; empty text gives ``None`` data.

    Raises:
        YamlProblem: The text is not valid YAML or holds several documents, has
            duplicate keys, keys that are not plain values or a bad value (``!!set x``).
    """
    try:
        node = yaml.compose(text, Loader=_loader(dialect.libyaml, dialect.yaml12_floats))
    except yaml.YAMLError as error:
        raise _syntax(error, dialect) from None
    if node is None:
        return YamlDocument(None, {})
    return _Builder(dialect).document(node)


def load_all(text: str, dialect: Dialect = STRICT) -> list[YamlDocument]:
    """Every document of the YAML stream *text*, keeping line numbers.

    The whole stream is parsed before any document is built, so a syntax error
    anywhere is reported ahead of a duplicate key in an earlier document.

    Raises:
        YamlProblem: As for :func:`load_one`.
    """
    loader = _loader(dialect.libyaml, dialect.yaml12_floats)
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError as error:
        raise _syntax(error, dialect) from None
    builder = _Builder(dialect)
    return [builder.document(node) for node in nodes if node is not None]


@cache
def _loader(libyaml: bool, yaml12_floats: bool) -> Any:
    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if libyaml else yaml.SafeLoader
    if not yaml12_floats:
        return base
    loader: Any = type(f"Yaml12{base.__name__}", (base,), {})
    loader.add_implicit_resolver(_FLOAT, _YAML12_FLOAT, list("-+0123456789"))
    return loader


def _syntax(error: yaml.YAMLError, dialect: Dialect) -> YamlProblem:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if not problem:
        problem = str(error).splitlines()[0] if dialect.short_problems else str(error)
    return YamlProblem(f"not valid YAML: {problem}", mark.line + 1 if mark else None)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Builder:
    """Python data from a node tree, noting the line of each path on the way."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        # The node tree is already resolved; constructing scalars needs no other loader.
        self._constructor = yaml.SafeLoader("")

    def document(self, node: yaml.Node) -> YamlDocument:
        lines: dict[YamlPath, int] = {}
        return YamlDocument(self._build(node, (), lines), lines)

    def _build(self, node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int]) -> Any:
        lines.setdefault(path, _line(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, lines)
        if isinstance(node, yaml.SequenceNode):
            return [
                self._build(item, (*path, index), lines) for index, item in enumerate(node.value)
            ]
        return self._scalar(node)

    def _mapping(
        self, node: yaml.MappingNode, path: YamlPath, lines: dict[YamlPath, int]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[dict[str, Any]] = []
        for key_node, value_node in node.value:
            line = _line(key_node)
            if self._dialect.merge_keys and key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, line, path, lines))
                continue
            key = self._scalar(key_node)
            if not self._plain_key(key):
                raise YamlProblem("mapping keys must be plain values", line)
            text = key if isinstance(key, str) else str(key)
            if text in result:
                raise YamlProblem(f"duplicate key {text!r}", line, field=text)
            lines[(*path, text)] = line
            result[text] = self._build(value_node, (*path, text), lines)
        for source in merged:
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    def _merge_sources(
        self, value: yaml.Node, line: int, path: YamlPath, lines: dict[YamlPath, int]
    ) -> list[dict[str, Any]]:
        # ``<<: *anchor`` or a list of them, built at the merging mapping's own path.
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        built = []
        for source in sources:
            data = self._build(source, path, lines)
            if not isinstance(data, dict):
                raise YamlProblem("'<<' merges mappings only", line)
            built.append(data)
        return built

    def _plain_key(self, key: Any) -> bool:
        if self._dialect.scalar_keys:
            return not isinstance(key, list | dict) and key is not None
        return isinstance(key, str | int | float | bool)

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise YamlProblem("expected a plain value here", _line(node))
        if node.tag == _STR:
            # What SafeConstructor returns for text, without its dispatch: most values are text.
            return node.value
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            raise YamlProblem(f"bad value: {str(error).splitlines()[0]}", _line(node)) from None
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            # An explicit tag over text it cannot read (``!!int abc``, ``!!bool x``):
            # PyYAML's constructors fail with plain Python errors.
            raise YamlProblem(
                f"bad value: {node.value!r} is not a valid {node.tag.rsplit(':', 1)[-1]}",
                _line(node),
            ) from None
