"""The shared line-numbered YAML loader (``bastion._yaml``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bastion._yaml import STRICT, Dialect, YamlPath, YamlProblem, load_all, load_one

_key = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
_data = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_key, inner, max_size=4),
    max_leaves=20,
)


def _paths(data: Any, path: YamlPath = ()) -> set[YamlPath]:
    found = {path}
    if isinstance(data, dict):
        for key, value in data.items():
            found |= _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found |= _paths(value, (*path, index))
    return found


def _node_lines(node: yaml.Node, path: YamlPath = ()) -> dict[YamlPath, int]:
    """The line of each path as PyYAML's own node tree marks it (keys: the key's line)."""
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, key_node.value)
            found |= _node_lines(value_node, key)
            found[key] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found |= _node_lines(item, (*path, index))
    return found


@given(data=_data, flow=st.booleans())
def test_dumped_data_loads_as_pyyaml_does_with_the_line_of_every_path(
    data: Any, flow: bool
) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    doc = load_one(text)
    assert doc.data == yaml.safe_load(text)
    assert set(doc.lines) == _paths(data)
    assert doc.lines == _node_lines(yaml.compose(text))
    text_lines = text.splitlines()
    for path, line in doc.lines.items():
        if path and isinstance(path[-1], str):
            key = re.escape(path[-1])
            # The key itself, not merely its text somewhere in a value.
            assert re.search(rf"(^|[\s{{,-])['\"]?{key}['\"]?:", text_lines[line - 1]), (
                path,
                line,
                text,
            )


@given(data=_data)
def test_block_style_siblings_are_on_increasing_lines(data: Any) -> None:
    doc = load_one(yaml.safe_dump(data, default_flow_style=False))
    by_parent: dict[YamlPath, list[int]] = {}
    for path, line in doc.lines.items():
        if path:
            by_parent.setdefault(path[:-1], []).append(line)
    for lines in by_parent.values():
        assert lines == sorted(set(lines))


@given(data=_data)
def test_libyaml_and_the_python_parser_agree(data: Any) -> None:
    text = yaml.safe_dump(data) + "---\n" + yaml.safe_dump(data, default_flow_style=True)
    python = load_all(text)
    libyaml = load_all(text, Dialect(libyaml=True))
    assert [(d.data, d.lines) for d in libyaml] == [(d.data, d.lines) for d in python]
    assert [d.data for d in python] == list(yaml.safe_load_all(text))


def _problem(text: str, dialect: Dialect = STRICT) -> YamlProblem:
    with pytest.raises(YamlProblem) as caught:
        load_one(text, dialect)
    return caught.value


@pytest.mark.parametrize("dialect", [STRICT, Dialect(merge_keys=True, scalar_keys=True)])
def test_duplicate_keys_are_refused_at_the_second_one(dialect: Dialect) -> None:
    problem = _problem("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n", dialect)
    assert (problem.message, problem.line, problem.field) == ("duplicate key 'c'", 5, "c")
    # Keys are compared as text: 1 and '1' are the same key.
    problem = _problem("x:\n  1: a\n  '1': b\n", dialect)
    assert (problem.message, problem.line) == ("duplicate key '1'", 3)


@pytest.mark.parametrize(
    ("text", "line"),
    [("? [a, b]\n: 1\n", 1), ("x: 1\n{[a]: b}: 2\n", 2), ("x:\n  ? {k: v}\n  : 1\n", 2)],
)
def test_collection_keys_are_refused_with_their_line(text: str, line: int) -> None:
    problem = _problem(text)
    assert (problem.message, problem.line) == ("expected a plain value here", line)


def test_null_keys_are_refused_and_dates_only_where_the_dialect_says() -> None:
    problem = _problem("a: 1\nnull: 2\n", Dialect(scalar_keys=True))
    assert (problem.message, problem.line) == ("mapping keys must be plain values", 2)
    problem = _problem("a: 1\n2024-01-02: 2\n")
    assert (problem.message, problem.line) == ("mapping keys must be plain values", 2)
    assert load_one("2024-01-02: 2\n", Dialect(scalar_keys=True)).data == {"2024-01-02": 2}
    assert load_one("1: a\ntrue: b\n0.5: c\n").data == {"1": "a", "True": "b", "0.5": "c"}


def test_syntax_errors_carry_the_line_of_the_problem() -> None:
    problem = _problem("a: 1\nb: [1,\nc: 3\n")
    assert problem.message.startswith("not valid YAML: ") and problem.line == 4
    problem = _problem("a: 1\n---\nb: 2\n")
    assert problem.message == "not valid YAML: but found another document"
    assert problem.line == 2


def test_reader_errors_are_quoted_whole_or_by_their_first_line() -> None:
    whole = _problem("a: \x00\n").message
    first = _problem("a: \x00\n", Dialect(short_problems=True)).message
    assert whole.startswith(first) and "\n" in whole and "\n" not in first
    assert _problem("a: \x00\n").line is None


def test_bad_values_name_their_line() -> None:
    problem = _problem("a: 1\nb: !!set x\n")
    assert (problem.message, problem.line) == (
        "bad value: expected a mapping node, but found scalar",
        2,
    )
    problem = _problem("a: 1\nb:\n  - !!python/name:os.system x\n")
    assert problem.line == 3
    assert problem.message.startswith("bad value: could not determine a constructor for the tag")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("!!int abc", "int"),
        ("!!float x", "float"),
        ("!!bool maybe", "bool"),
        ("!!timestamp x", "timestamp"),
    ],
)
def test_a_tag_over_text_it_cannot_read_is_a_bad_value(value: str, kind: str) -> None:
    problem = _problem(f"a: 1\nb: {value}\n")
    assert problem.line == 2
    assert problem.message == f"bad value: {value.split()[1]!r} is not a valid {kind}"


def test_merge_keys_only_where_the_dialect_says() -> None:
    text = "base: &b {a: 1, b: 2}\nd:\n  <<: *b\n  b: 3\n"
    problem = _problem(text)
    assert problem.line == 3 and problem.message.startswith("bad value: ")
    doc = load_one(text, Dialect(merge_keys=True))
    assert doc.data == {"base": {"a": 1, "b": 2}, "d": {"a": 1, "b": 3}}
    assert doc.data == yaml.safe_load(text)
    assert doc.line_of(("d", "b")) == 4
    assert doc.line_of(("d", "a")) == 1  # where the merged key was written
    problem = _problem("d:\n  <<: [1]\n", Dialect(merge_keys=True))
    assert (problem.message, problem.line) == ("'<<' merges mappings only", 2)


def test_yaml12_floats_only_where_the_dialect_says() -> None:
    assert load_one("x: 1e-5\n").data == {"x": "1e-5"}
    assert load_one("x: 1e-5\ny: -2E3\n", Dialect(yaml12_floats=True)).data == {
        "x": 1e-5,
        "y": -2000.0,
    }
    assert load_one("x: 1e-5\n", Dialect(libyaml=True, yaml12_floats=True)).data == {"x": 1e-5}
    # The resolver is the dialect's own: the default loader is left as it was.
    assert yaml.safe_load("x: 1e-5\n") == {"x": "1e-5"}


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    doc = load_one("top: 1\nitems:\n  - name: a\n  - name: b\n    size: 2\n")
    assert doc.line_of(("items", 1, "size")) == 5
    assert doc.line_of(("items", 1, "missing", 3)) == 4
    assert doc.line_of(("nowhere",)) == 1
    assert load_one("").line_of(("a",)) is None
    assert load_one("").data is None


def test_a_stream_is_parsed_whole_before_any_document_is_built() -> None:
    docs = load_all("a: 1\n---\n- x\n- y\n")
    assert [d.data for d in docs] == [{"a": 1}, ["x", "y"]]
    assert docs[1].line_of((1,)) == 4
    assert load_all("") == []
    with pytest.raises(YamlProblem) as caught:
        load_all("a: 1\na: 2\n---\nb: [\n")
    assert caught.value.message.startswith("not valid YAML") and caught.value.line == 5
