"""``read_labelled``: labelled texts from CSV, TSV, JSON lines or Parquet, with errors by line."""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bastion.detectors._csv import CsvFormat, decode_lines, iter_records
from bastion.detectors._datasets import LabelledTexts, SkippedRow
from bastion.detectors._errors import DataError

OnBadRow = Literal["raise", "skip"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    values: Mapping[str, object]
    error: str | None = None


class _BadRow(Exception):
    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def read_labelled(
    path: str | Path,
    *,
    text_column: str | Sequence[str],
    label_column: str | None = None,
    label: str | None = None,
    label_map: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    errors: Literal["strict", "replace"] = "strict",
    on_bad_row: OnBadRow = "raise",
    csv_format: CsvFormat | None = None,
    sha256: str | None = None,
) -> LabelledTexts:
    r"""Read labelled texts from one file; the format follows the file's suffix.

    ``.csv`` (and any other suffix) is comma-separated with a header row,
    ``.tsv`` tab-separated, ``.jsonl`` / ``.ndjson`` one JSON object per
    line, ``.parquet`` read with pyarrow. Texts are kept exactly as stored;
    a text that is empty or only whitespace is a bad row.

    Args:
        path: The file.
        text_column: The column holding the text, or several whose non-empty
            values are joined with a space (``("context", "question")``).
        label_column: The column holding the label; its values are read as
            strings (JSON ``1`` as ``"1"``, ``true`` as ``"True"``).
        label: The one label of every text, when there is no *label_column*.
        label_map: Raw label value to label; any other value is a bad row.
        encoding: The text encoding (one where ``\\n`` is one byte).
        errors: ``"strict"`` raises on undecodable bytes, naming the line;
            ``"replace"`` reads them as U+FFFD.
        on_bad_row: ``"raise"`` raises on the first bad row; ``"skip"`` leaves
            bad rows out and lists them in ``skipped`` of the result. A
            missing column or undecodable bytes always raise.
        csv_format: Layout of a delimited file (by default, from the suffix).
        sha256: The file's expected SHA-256, hex; checked before parsing.

    Raises:
        DataError: Naming the file, line and field of what is wrong.
    """
    if (label_column is None) == (label is None):
        raise ValueError("give exactly one of label_column and label")
    fixed = label or ""
    file = str(path)
    text_columns = (text_column,) if isinstance(text_column, str) else tuple(text_column)
    wanted = text_columns + (() if label_column is None else (label_column,))
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        if sha256 is not None:
            verify_sha256(Path(path).read_bytes(), sha256, file=file)
        rows = _parquet_rows(Path(path), wanted, file=file)
    else:
        data = Path(path).read_bytes()
        if sha256 is not None:
            verify_sha256(data, sha256, file=file)
        lines = decode_lines(data, file=file, encoding=encoding, errors=errors)
        if suffix in (".jsonl", ".ndjson"):
            rows = _json_rows(lines, wanted, file=file)
        else:
            fmt = csv_format or CsvFormat(delimiter="\t" if suffix == ".tsv" else ",")
            rows = _csv_rows(lines, fmt, wanted, file=file)

    texts: list[str] = []
    labels: list[str] = []
    numbers: list[int] = []
    skipped: list[SkippedRow] = []
    for row in rows:
        try:
            if row.error is not None:
                raise _BadRow(row.error)
            text = _text(row.values, text_columns)
            value = fixed if label_column is None else _label(row.values, label_column, label_map)
        except _BadRow as bad:
            if on_bad_row == "raise":
                raise DataError(bad.reason, file=file, line=row.line, field=bad.field) from None
            where = "" if bad.field is None else f"[{bad.field}] "
            skipped.append(SkippedRow(file, row.line, where + bad.reason))
            continue
        texts.append(text)
        labels.append(value)
        numbers.append(row.line)
    if skipped:
        first = skipped[0]
        logger.warning(
            "%s: skipped %d bad rows (first at line %d: %s)",
            file,
            len(skipped),
            first.line,
            first.reason,
        )
    return LabelledTexts(tuple(texts), tuple(labels), file, tuple(numbers), (), tuple(skipped))


def verify_sha256(data: bytes, expected: str, *, file: str) -> None:
    """Check *data* against the *expected* SHA-256 (hex, any case).

    Raises:
        DataError: On a mismatch, naming both digests.
    """
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.strip().lower():
        raise DataError(f"SHA-256 mismatch: expected {expected}, actual {actual}", file=file)


def _text(values: Mapping[str, object], columns: tuple[str, ...]) -> str:
    parts: list[str] = []
    for column in columns:
        value = values.get(column)
        if value is None:
            raise _BadRow("the text is missing", column)
        if not isinstance(value, str):
            raise _BadRow(f"the text is a {type(value).__name__}, not a string", column)
        if value.strip():
            parts.append(value)
    if not parts:
        raise _BadRow("the text is empty", columns[0] if len(columns) == 1 else None)
    return parts[0] if len(parts) == 1 else " ".join(parts)


def _label(values: Mapping[str, object], column: str, label_map: Mapping[str, str] | None) -> str:
    value = values.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _BadRow("the label is missing", column)
    if not isinstance(value, str | int | float | bool):
        raise _BadRow(f"the label is a {type(value).__name__}", column)
    raw = str(value)
    if label_map is None:
        return raw
    if raw not in label_map:
        allowed = ", ".join(repr(key) for key in label_map)
        raise _BadRow(f"label {raw!r} is not one of {allowed}", column)
    return label_map[raw]


def _missing(column: str, columns: Sequence[str], *, file: str, line: int | None) -> DataError:
    close = difflib.get_close_matches(column, [c for c in columns if c], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    listed = ", ".join(repr(c) for c in columns)
    return DataError(
        f"no column {column!r}{hint}; the columns are: {listed}", file=file, line=line, field=column
    )


def _csv_rows(
    lines: Sequence[str], fmt: CsvFormat, wanted: tuple[str, ...], *, file: str
) -> Iterator[_Row]:
    records = iter_records(lines, fmt)
    if fmt.columns is not None:
        header, header_line = fmt.columns, None
    else:
        first = next(records, None)
        if first is None:
            raise DataError("the file is empty; expected a header row", file=file, line=1)
        if first.error is not None:
            raise DataError(f"header: {first.error}", file=file, line=first.line)
        header, header_line = first.fields, first.line
    for column in wanted:
        if column not in header:
            raise _missing(column, header, file=file, line=header_line)
    index = {column: header.index(column) for column in wanted}
    for record in records:
        if record.error is not None:
            yield _Row(record.line, {}, record.error)
        elif len(record.fields) != len(header):
            reason = f"expected {len(header)} fields, found {len(record.fields)}"
            yield _Row(record.line, {}, reason)
        else:
            yield _Row(record.line, {c: record.fields[i] for c, i in index.items()})


def _json_rows(lines: Sequence[str], wanted: tuple[str, ...], *, file: str) -> Iterator[_Row]:
    seen_any = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except json.JSONDecodeError as err:
            yield _Row(number, {}, f"invalid JSON: {err.msg} at column {err.colno}")
            continue
        if not isinstance(values, dict):
            yield _Row(number, {}, f"expected a JSON object, found {type(values).__name__}")
            continue
        if not seen_any:
            # The first object names the keys; a column missing there is missing, not a bad row.
            seen_any = True
            for column in wanted:
                if column not in values:
                    raise _missing(column, list(values), file=file, line=number)
        yield _Row(number, values)


def _parquet_rows(path: Path, wanted: tuple[str, ...], *, file: str) -> Iterator[_Row]:
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    for column in wanted:
        if column not in names:
            raise _missing(column, names, file=file, line=None)
    table = pq.read_table(path, columns=list(dict.fromkeys(wanted)))
    for number, values in enumerate(table.to_pylist(), start=1):
        yield _Row(number, values)
