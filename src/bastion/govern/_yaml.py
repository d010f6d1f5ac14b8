"""Manifest YAML with line numbers: :mod:`bastion._yaml`, raising :class:`ManifestError`.

A manifest file is a stream of documents (empty ones skipped), composed with
libyaml when it is installed: registries hold thousands of manifests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bastion._yaml import Dialect, Lines, YamlPath, YamlProblem, load_all
from bastion.govern._errors import ManifestError

_DIALECT = Dialect(libyaml=True, short_problems=True)


@dataclass(frozen=True, slots=True)
class LocatedDocument(Lines):
    """One YAML document of a file and the line of each value in it."""

    data: Any
    file: str
    lines: dict[YamlPath, int] = field(default_factory=dict)


def load_documents(text: str, file: str) -> list[LocatedDocument]:
    """Every document of a YAML stream, with line numbers; empty documents are skipped.

    Raises:
        ManifestError: The text is not YAML, or has duplicate keys or
            non-scalar mapping keys.
    """
    try:
        documents = load_all(text, _DIALECT)
    except YamlProblem as problem:
        raise ManifestError(problem.message, file=file, line=problem.line) from None
    return [LocatedDocument(doc.data, file, doc.lines) for doc in documents]
