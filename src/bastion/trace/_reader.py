"""Reading the decision log: DuckDB views, one record by request id, explanations.

The views ``requests`` and ``decisions`` cover the sealed Parquet segments and
the open segment's write-ahead file, so a record is queryable as soon as it is
written. A reader never takes the writer's lock and never changes the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from bastion.trace._body import TraceBody, decode_body
from bastion.trace._errors import TraceError, TraceNotFoundError
from bastion.trace._explain import Explanation, explain
from bastion.trace._log import SegmentInfo, read_manifest, segment_path, wal_files
from bastion.trace._tables import build_tables
from bastion.trace._wal import Frame, iter_frames


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One record read back: its place in the log and its decoded body."""

    seq: int
    hash: str
    prev_hash: str
    body: TraceBody


class TraceReader:
    """Read-only access to a decision log directory.

    Raises:
        TraceError: *directory* is not a decision log.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not (self.directory / "segments").is_dir():
            raise TraceError(f"{self.directory}: not a decision log (no segments/ folder)")

    def segments(self) -> list[SegmentInfo]:
        """Sealed segments, in order."""
        return read_manifest(self.directory)

    def open_frames(self) -> list[Frame]:
        """Records of the open segment (not yet sealed)."""
        frames: list[Frame] = []
        for path in wal_files(self.directory):
            frames.extend(iter_frames(path.read_bytes()))
        return frames

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with the views ``requests`` and ``decisions``."""
        connection = duckdb.connect()
        requests_open, decisions_open = build_tables(self.open_frames())
        connection.register("_open_requests", requests_open)
        connection.register("_open_decisions", decisions_open)
        segments = self.segments()
        for view, attribute, open_table in (
            ("requests", "requests_file", "_open_requests"),
            ("decisions", "decisions_file", "_open_decisions"),
        ):
            files = [str(segment_path(self.directory, getattr(s, attribute))) for s in segments]
            if files:
                listed = ", ".join(_quote(f) for f in files)
                sealed = f"SELECT * FROM read_parquet([{listed}], union_by_name = true)"
                source = f"{sealed} UNION ALL BY NAME SELECT * FROM {open_table}"
            else:
                source = f"SELECT * FROM {open_table}"
            connection.execute(f"CREATE VIEW {view} AS {source}")
        return connection

    def query(self, sql: str) -> pa.Table:
        """Run *sql* over the views and return the result.

        Raises:
            TraceError: The SQL is invalid (DuckDB's message included).
        """
        connection = self.connect()
        try:
            return connection.sql(sql).to_arrow_table()
        except duckdb.Error as error:
            raise TraceError(f"query failed: {error}") from None
        finally:
            connection.close()

    def record(self, request_id: str) -> StoredRecord:
        """The latest record of *request_id*.

        Raises:
            TraceNotFoundError: The log has no record of it.
        """
        for frame in reversed(self.open_frames()):
            body = decode_body(frame.body)
            if body.request_id == request_id:
                return StoredRecord(frame.seq, frame.hash.hex(), frame.prev_hash.hex(), body)
        files = [str(segment_path(self.directory, s.requests_file)) for s in self.segments()]
        if files:
            connection = duckdb.connect()
            try:
                row = connection.execute(
                    "SELECT seq, hash, prev_hash, body FROM read_parquet(?, union_by_name = true) "
                    "WHERE request_id = ? ORDER BY seq DESC LIMIT 1",
                    [files, request_id],
                ).fetchone()
            finally:
                connection.close()
            if row is not None:
                seq, hash_, prev_hash, body = row
                return StoredRecord(int(seq), hash_, prev_hash, decode_body(bytes(body)))
        raise TraceNotFoundError(f"no decision record for request {request_id!r}")

    def explain(self, request_id: str, item_id: str | None = None) -> Explanation:
        """Why the request's slate (or one item of it) came out as it did.

        Raises:
            TraceNotFoundError: No record of the request, or the item was not
                one of its candidates.
        """
        stored = self.record(request_id)
        return explain(stored.body, item_id, seq=stored.seq, record_hash=stored.hash)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
