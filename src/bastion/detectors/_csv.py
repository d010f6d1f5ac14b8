"""Delimited text read record by record, knowing the physical line each record starts on.

:mod:`csv` reports how many lines it has consumed, not where a record began;
feeding it one physical line at a time and remembering ``line_num`` before
each record gives the line a quoted, multi-line record starts on, which is
the line an editor should jump to.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bastion.detectors._errors import DataError

_UTF8 = frozenset({"utf-8", "utf8", "utf_8", "u8"})


@dataclass(frozen=True, slots=True)
class CsvFormat:
    r"""How a delimited file is laid out.

    Attributes:
        delimiter: The field separator (``","``; ``"\\t"`` for TSV).
        quoting: Whether double quotes delimit fields; ``False`` reads quotes as
            ordinary characters (LIAR's TSV files have stray ones).
        columns: The column names of a file without a header row; ``None``
            when the first record is the header.
    """

    delimiter: str = ","
    quoting: bool = True
    columns: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a delimited file, or why it could not be parsed.

    Attributes:
        line: The 1-based physical line the record starts on.
        fields: The record's fields (empty when ``error`` is set).
        error: Why the record is malformed, or ``None``.
    """

    line: int
    fields: tuple[str, ...]
    error: str | None = None


def decode_lines(data: bytes, *, file: str, encoding: str, errors: str) -> list[str]:
    r"""Decode a file and split it into physical lines, line endings kept.

    Only ``\\n`` ends a line (``\\r\\n`` too, as it ends in one); other Unicode
    line separators inside a field are text, as :mod:`csv` sees them. The
    encoding must keep ``\\n`` a single byte (UTF-8, Latin-1, cp1252 ...).
    A UTF-8 byte-order mark is dropped.

    Raises:
        DataError: When a byte cannot be decoded and *errors* is ``"strict"``;
            names the line and the byte.
    """
    if codecs.lookup(encoding).name.replace("-", "_") in _UTF8 and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode(encoding, errors)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - data.rfind(b"\n", 0, err.start)
        raise DataError(
            f"byte 0x{data[err.start]:02x} at byte {column} of the line is not valid "
            f"{encoding} ({err.reason}); pass errors='replace' to read it as U+FFFD",
            file=file,
            line=line,
        ) from None
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def iter_records(lines: Sequence[str], csv_format: CsvFormat) -> Iterator[Record]:
    """Parse *lines* into records, each with the line it starts on; blank lines are skipped.

    Malformed records (a quote left open, text after a closing quote) come
    back with ``error`` set, and parsing goes on with the next line.
    """
    reader = csv.reader(
        iter(lines),
        delimiter=csv_format.delimiter,
        quoting=csv.QUOTE_MINIMAL if csv_format.quoting else csv.QUOTE_NONE,
        strict=csv_format.quoting,
    )
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield Record(start, (), f"malformed record: {err}")
        else:
            if row:
                yield Record(start, tuple(row))
        start = reader.line_num + 1
