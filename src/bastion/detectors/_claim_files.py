"""Claims files: LIAR TSV, or CSV / JSONL with a text and a verdict per claim.

* ``.tsv``: the LIAR format (no header; id, label, statement, then metadata
  columns), read with quoting off as its README asks.
* ``.csv``: a header naming a text column (``text``, ``claim`` or
  ``statement``) and a verdict column (``verdict`` or ``label``); an optional
  ``source`` column.
* ``.jsonl``: one object per line with the same keys; blank lines are skipped.

A malformed row is a :class:`DataError` naming the file, the line and the field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from bastion.detectors._errors import DataError

LIAR_LABELS = frozenset({"pants-fire", "false", "barely-true", "half-true", "mostly-true", "true"})
FALSE_VERDICTS = ("false", "pants-fire")
TEXT_KEYS = ("text", "claim", "statement")
VERDICT_KEYS = ("verdict", "label")


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim with what is known of it.

    Attributes:
        text: The claim as stated.
        verdict: Its rating, lowercased (``false``, ``pants-fire`` ...).
        source: Where it comes from: ``folder/file:line`` unless the file says.
    """

    text: str
    verdict: str
    source: str


def read_claims(path: Path, *, verdicts: Collection[str] | None = FALSE_VERDICTS) -> list[Claim]:
    """The claims of *path* whose verdict is in *verdicts* (``None``: all), in file order.

    Raises:
        DataError: The file is unreadable, of an unknown kind, or has a malformed row.
    """
    path = Path(path)
    readers = {".tsv": _liar_rows, ".csv": _csv_rows, ".jsonl": _jsonl_rows}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise DataError(
            f"unknown claims file type {path.suffix!r}; use .tsv (LIAR), .csv or .jsonl",
            file=str(path),
        )
    content = _decode(path)
    prefix = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    keep = None if verdicts is None else {v.strip().lower() for v in verdicts}
    claims = []
    for line, text, verdict, source in reader(content, str(path)):
        if keep is None or verdict in keep:
            claims.append(Claim(text, verdict, source or f"{prefix}:{line}"))
    return claims


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(
            f"cannot read the claims file ({error.strerror})", file=str(path)
        ) from error
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError("not UTF-8 text", file=str(path), line=line) from error


_Row = tuple[int, str, str, str]
"""Line, text, verdict (lowercased), source ("" when the file gives none)."""


def _required(value: str, file: str, line: int, field: str) -> str:
    value = value.strip()
    if not value:
        raise DataError(f"empty {field}", file=file, line=line, field=field)
    return value


def _lines(content: str) -> Iterator[tuple[int, str]]:
    """Numbered lines, split at newlines only (as editors and ``wc -l`` count them)."""
    for line, raw in enumerate(content.split("\n"), start=1):
        yield line, raw.removesuffix("\r")


def _liar_rows(content: str, file: str) -> Iterator[_Row]:
    for line, raw in _lines(content):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) < 3:
            raise DataError(
                f"{len(fields)} tab-separated fields; LIAR rows have id, label, statement ...",
                file=file,
                line=line,
                field="statement",
            )
        label = fields[1].strip().lower()
        if label not in LIAR_LABELS:
            raise DataError(
                f"unknown label {fields[1]!r}; expected one of {', '.join(sorted(LIAR_LABELS))}",
                file=file,
                line=line,
                field="label",
            )
        yield line, _required(fields[2], file, line, "statement"), label, ""


def _pick(keys: Collection[str], options: tuple[str, ...]) -> str | None:
    return next((key for key in options if key in keys), None)


def _csv_rows(content: str, file: str) -> Iterator[_Row]:
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        text_key, verdict_key = _pick(header, TEXT_KEYS), _pick(header, VERDICT_KEYS)
        if text_key is None or verdict_key is None:
            missing = "text" if text_key is None else "verdict"
            raise DataError(
                f"the header has no {missing} column (one of "
                f"{', '.join(TEXT_KEYS if text_key is None else VERDICT_KEYS)})",
                file=file,
                line=1,
                field=missing,
            )
        columns = {name: i for i, name in reversed(list(enumerate(header)))}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{len(row)} fields where the header has {len(header)}", file=file, line=line
                )
            source = row[columns["source"]].strip() if "source" in columns else ""
            text = _required(row[columns[text_key]], file, line, text_key)
            verdict = _required(row[columns[verdict_key]], file, line, verdict_key).lower()
            yield line, text, verdict, source
    except csv.Error as error:
        raise DataError(f"not valid CSV ({error})", file=file, line=reader.line_num) from error


def _jsonl_rows(content: str, file: str) -> Iterator[_Row]:
    for line, raw in _lines(content):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            raise DataError(f"not JSON ({error.msg})", file=file, line=line) from error
        if not isinstance(record, dict):
            raise DataError("not a JSON object", file=file, line=line)
        values = {}
        for field, options in (("text", TEXT_KEYS), ("verdict", VERDICT_KEYS)):
            key = _pick(record, options) or field
            value = record.get(key)
            if not isinstance(value, str):
                raise DataError(f"{key} must be a string", file=file, line=line, field=key)
            values[field] = _required(value, file, line, key)
        source = record.get("source", "")
        if not isinstance(source, str):
            raise DataError("source must be a string", file=file, line=line, field="source")
        yield line, values["text"], values["verdict"].lower(), source.strip()
