"""The on-disk decision log: one open write-ahead segment, sealed ones in Parquet.

Layout of a log directory::

    manifest.jsonl               one line per sealed segment (Merkle root, hashes)
    segments/00000001.requests.parquet
    segments/00000001.decisions.parquet
    wal/00000002.wal             the open segment, append-only frames
    LOCK                         held by the one writer

Sealing writes both Parquet files (to temporary names, synced, renamed), then
appends the manifest line (synced), then removes the write-ahead file. A crash
at any point leaves either the write-ahead file or the manifest line as the
truth; opening the log finishes or undoes the half-done step.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from bastion.trace._chain import GENESIS, merkle_root, record_hash
from bastion.trace._config import FsyncPolicy
from bastion.trace._errors import TraceCorruptError, TraceError
from bastion.trace._tables import build_tables
from bastion.trace._wal import Frame, encode_frame, scan, truncate

logger = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
REQUESTS_ROW_GROUP = 128
"""Requests per row group of a segment's requests file.

``why`` reads one record by ``request_id``; DuckDB then decodes the ``body``
column of the whole row group that holds it (about 40 KB compressed per
500-candidate record). With one row group per segment (~1,300 records) that
was most of a lookup; at 128 a lookup among 10M item decisions took about
half as long (row-group overhead grows again below that; see
``benchmarks/trace_throughput.py``).
"""
DECISIONS_ROW_GROUP = 131_072
SEAL_CHUNK = REQUESTS_ROW_GROUP
"""Records turned into tables and written at a time when a segment is sealed.

Building the tables of a whole 64 MB segment (about 1,000 records of 500
candidates) at once held all of them in memory and streamed them through the
CPU caches the guard shares; a chunk at a time, the sealer's CPU per record
in ``benchmarks/trace_throughput.py`` fell from about 1,130 to 760-820 us. A
segment whose signal columns differ between chunks (a bundle reloaded while
it was open) is built whole, as its columns must be.
"""


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """One sealed segment, as the manifest records it."""

    segment: int
    first_seq: int
    last_seq: int
    records: int
    items: int
    merkle_root: str
    first_prev_hash: str
    last_hash: str
    requests_file: str
    decisions_file: str
    requests_sha256: str
    decisions_sha256: str

    def to_json(self) -> str:
        """The manifest line."""
        return json.dumps({k: getattr(self, k) for k in self.__slots__}, sort_keys=True)


@dataclass(frozen=True, slots=True)
class Recovery:
    """What opening the log found and repaired.

    Attributes:
        recovered: Records found in the write-ahead file.
        torn_bytes: Bytes of a torn tail that were truncated (0 when clean).
        wal: The write-ahead file that was repaired, if any.
    """

    recovered: int = 0
    torn_bytes: int = 0
    wal: str | None = None


def read_manifest(directory: Path) -> list[SegmentInfo]:
    """Sealed segments in order.

    Raises:
        TraceCorruptError: A manifest line is not valid (naming the line).
    """
    path = directory / MANIFEST
    if not path.exists():
        return []
    segments = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            segments.append(SegmentInfo(**json.loads(line)))
        except (ValueError, TypeError) as error:
            raise TraceCorruptError(f"{path}:{number}: invalid manifest line ({error})") from None
    return segments


def wal_files(directory: Path) -> list[Path]:
    """Write-ahead files, oldest first."""
    return sorted((directory / "wal").glob("*.wal"))


class DecisionLog:
    """Single-writer append-only log of chained records (thread-compatible, not safe).

    Args:
        directory: The log directory.
        fsync: The sync policy (see :class:`TraceConfig`).
        segment_max_bytes: Seal the open segment at this size.
        segment_max_age_s: ... or at this age.

    Raises:
        TraceError: Another process holds the log.
        TraceCorruptError: Stored data fails its checks beyond a torn tail.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        fsync: FsyncPolicy = "interval",
        segment_max_bytes: int = 64 * 1024 * 1024,
        segment_max_age_s: float = 300.0,
    ) -> None:
        self.directory = Path(directory)
        self.fsync = fsync
        self.segment_max_bytes = segment_max_bytes
        self.segment_max_age_s = segment_max_age_s
        (self.directory / "segments").mkdir(parents=True, exist_ok=True)
        (self.directory / "wal").mkdir(exist_ok=True)
        self._lock = self._acquire_lock()
        self._handle: IO[bytes] | None = None
        self._frames: list[Frame] = []
        self._opened_at = 0.0
        self._wal_bytes = 0
        self._segment = 1
        self._head = GENESIS
        self._next_seq = 0
        try:
            with seal_lock(self.directory):
                self.recovery = self._recover()
        except BaseException:
            self._release()
            raise

    @property
    def head(self) -> bytes:
        """Hash of the last record (the genesis hash for an empty log)."""
        return self._head

    @property
    def open_records(self) -> int:
        """Records in the open (not yet sealed) segment."""
        return len(self._frames)

    def append(self, bodies: Sequence[bytes]) -> list[Frame]:
        """Chain *bodies* and write them to the open segment (synced under ``always``).

        Returns:
            The frames written, with their sequence numbers and hashes.
        """
        frames: list[Frame] = []
        prev, seq = self._head, self._next_seq
        for body in bodies:
            digest = record_hash(prev, seq, body)
            frames.append(Frame(seq, prev, digest, body))
            prev, seq = digest, seq + 1
        if not frames:
            return frames
        handle = self._open_wal()
        data = b"".join(encode_frame(frame) for frame in frames)
        handle.write(data)
        handle.flush()
        if self.fsync == "always":
            os.fsync(handle.fileno())
        self._wal_bytes += len(data)
        self._frames.extend(frames)
        self._head, self._next_seq = prev, seq
        return frames

    def sync(self) -> None:
        """Make everything appended so far durable (a no-op under ``never``)."""
        if self._handle is not None and self.fsync != "never":
            os.fsync(self._handle.fileno())

    def due(self, now: float | None = None) -> bool:
        """Whether the open segment should be sealed (size or age)."""
        if not self._frames:
            return False
        now = time.time() if now is None else now
        return (
            self._wal_bytes >= self.segment_max_bytes
            or now - self._opened_at >= self.segment_max_age_s
        )

    def rotate(self) -> Path | None:
        """Close the open segment's write-ahead file and start a new segment.

        Returns:
            The closed file, to be sealed with :func:`seal_wal` (in order), or
            ``None`` when the open segment was empty.
        """
        if not self._frames:
            return None
        self._close_wal()
        path = self.directory / "wal" / f"{self._segment:08d}.wal"
        self._segment += 1
        self._frames = []
        self._wal_bytes = 0
        return path

    def seal(self) -> SegmentInfo | None:
        """Seal the open segment into Parquet, here and now, and start a new one."""
        path = self.rotate()
        return None if path is None else seal_wal(self.directory, path)

    def pending_frames(self) -> list[Frame]:
        """The open segment's records (for readers in the same process)."""
        return list(self._frames)

    def close(self, *, seal: bool = True) -> None:
        """Sync, optionally seal the open segment, and release the log."""
        try:
            if seal:
                self.seal()
            else:
                self.sync()
        finally:
            self._close_wal()
            self._release()

    def _release(self) -> None:
        if not self._lock.closed:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()

    # -- internals -------------------------------------------------------------------

    def _acquire_lock(self) -> IO[bytes]:
        handle = (self.directory / "LOCK").open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise TraceError(f"{self.directory}: another writer holds this log") from None
        return handle

    def _recover(self) -> Recovery:
        segments = read_manifest(self.directory)
        self._segment = segments[-1].segment + 1 if segments else 1
        self._head = bytes.fromhex(segments[-1].last_hash) if segments else GENESIS
        self._next_seq = segments[-1].last_seq + 1 if segments else 0
        self._remove_orphans(
            {s.requests_file for s in segments} | {s.decisions_file for s in segments}
        )
        recovery = Recovery()
        for path in wal_files(self.directory):
            number = int(path.stem)
            result = scan(path)
            if result.torn_bytes:
                logger.warning(
                    "%s: torn tail of %d bytes after %d records; truncating",
                    path,
                    result.torn_bytes,
                    len(result.frames),
                )
                truncate(path, result.valid_bytes)
            frames = [f for f in result.frames if f.seq >= self._next_seq]
            if frames and (frames[0].seq != self._next_seq or frames[0].prev_hash != self._head):
                raise TraceCorruptError(
                    f"{path}: first record (seq {frames[0].seq}) does not follow the sealed "
                    f"log (next seq {self._next_seq})"
                )
            recovery = Recovery(
                recovered=recovery.recovered + len(frames),
                torn_bytes=recovery.torn_bytes + result.torn_bytes,
                wal=str(path) if result.torn_bytes else recovery.wal,
            )
            if not frames:
                path.unlink()
                continue
            self._segment = max(self._segment, number)
            self._frames, self._head = frames, frames[-1].hash
            self._next_seq = frames[-1].seq + 1
            if path != wal_files(self.directory)[-1]:
                self._close_wal()
                _seal_frames(self.directory, path, frames)
                self._segment, self._frames = number + 1, []
            else:
                self._wal_bytes = path.stat().st_size
                self._opened_at = time.time()
        return recovery

    def _remove_orphans(self, known: set[str]) -> None:
        for path in (self.directory / "segments").iterdir():
            if path.name not in known:
                logger.warning("%s: not in the manifest (an unfinished seal); removing", path)
                path.unlink()

    def _open_wal(self) -> IO[bytes]:
        if self._handle is None:
            path = self.directory / "wal" / f"{self._segment:08d}.wal"
            self._handle = path.open("ab")
            _sync_dir(path.parent)
            if not self._frames:
                self._opened_at = time.time()
        return self._handle

    def _close_wal(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            if self.fsync != "never":
                os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None


def seal_wal(directory: Path, path: Path) -> SegmentInfo | None:
    """Seal the closed write-ahead file *path* into a Parquet segment.

    Runs in the writer or in a sealer process, under the log's seal lock, so
    a sealer left running by a crashed writer finishes before the next writer
    recovers. Segments must be sealed in order. The write-ahead file is removed
    only after the manifest line is durable.

    Returns:
        The new segment, or ``None`` when the file was already sealed.

    Raises:
        TraceCorruptError: The file does not continue the sealed log.
    """
    directory = Path(directory)
    with seal_lock(directory):
        if not path.exists():
            return None
        segments = read_manifest(directory)
        head = bytes.fromhex(segments[-1].last_hash) if segments else GENESIS
        next_seq = segments[-1].last_seq + 1 if segments else 0
        frames = [f for f in scan(path).frames if f.seq >= next_seq]
        if not frames:
            path.unlink()
            return None
        if frames[0].seq != next_seq or frames[0].prev_hash != head:
            raise TraceCorruptError(
                f"{path}: first record (seq {frames[0].seq}) does not follow the sealed log "
                f"(next seq {next_seq})"
            )
        return _seal_frames(directory, path, frames)


def _seal_frames(directory: Path, path: Path, frames: Sequence[Frame]) -> SegmentInfo:
    info = _write_segment(directory, int(path.stem), frames)
    path.unlink()
    _sync_dir(path.parent)
    return info


@contextmanager
def seal_lock(directory: Path) -> Iterator[None]:
    """Hold the log's seal lock (blocking) for the duration of the block."""
    with (directory / "SEAL.lock").open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_segment(directory: Path, number: int, frames: Sequence[Frame]) -> SegmentInfo:
    root = merkle_root([f.hash for f in frames])
    metadata: dict[bytes | str, bytes | str] = {
        b"bastion.segment": str(number).encode(),
        b"bastion.merkle_root": root.hex().encode(),
    }
    names = (f"{number:08d}.requests.parquet", f"{number:08d}.decisions.parquet")
    try:
        digests, items = _write_tables(directory, names, metadata, frames, SEAL_CHUNK)
    except _ColumnsChangedError:
        digests, items = _write_tables(directory, names, metadata, frames, len(frames))
    info = SegmentInfo(
        segment=number,
        first_seq=frames[0].seq,
        last_seq=frames[-1].seq,
        records=len(frames),
        items=items,
        merkle_root=root.hex(),
        first_prev_hash=frames[0].prev_hash.hex(),
        last_hash=frames[-1].hash.hex(),
        requests_file=names[0],
        decisions_file=names[1],
        requests_sha256=digests[0],
        decisions_sha256=digests[1],
    )
    manifest = directory / MANIFEST
    with manifest.open("a") as handle:
        handle.write(info.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    _sync_dir(directory)
    return info


class _ColumnsChangedError(Exception):
    """A chunk of a segment has other columns (or column types) than the chunks before it."""


def _write_tables(
    directory: Path,
    names: tuple[str, str],
    metadata: dict[bytes | str, bytes | str],
    frames: Sequence[Frame],
    chunk: int,
) -> tuple[list[str], int]:
    """Write the segment's two files, *chunk* records at a time; their digests and item count.

    Raises:
        _ColumnsChangedError: Two chunks' tables differ in their columns
            (nothing is left behind).
    """
    outputs = [
        _ParquetOutput(directory / "segments" / names[0], metadata, REQUESTS_ROW_GROUP),
        _ParquetOutput(directory / "segments" / names[1], metadata, DECISIONS_ROW_GROUP),
    ]
    items = 0
    try:
        for start in range(0, len(frames), chunk):
            requests, decisions = build_tables(frames[start : start + chunk])
            outputs[0].write(requests)
            outputs[1].write(decisions)
            items += decisions.num_rows
        return [output.finish() for output in outputs], items
    except BaseException:
        for output in outputs:
            output.abandon()
        raise


class _ParquetOutput:
    """One segment file being written to a temporary name, renamed once synced.

    Tables are held until they fill a row group, so that a file written a
    chunk at a time has the row groups of one written at once.
    """

    def __init__(
        self, final: Path, metadata: dict[bytes | str, bytes | str], row_group_size: int
    ) -> None:
        self.final = final
        self.temporary = final.with_suffix(".tmp")
        self.metadata = metadata
        self.row_group_size = row_group_size
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def write(self, table: pa.Table) -> None:
        """Append *table*'s rows.

        Raises:
            _ColumnsChangedError: *table*'s columns differ from the first table's.
        """
        schema_metadata: dict[bytes | str, bytes | str] = {**(table.schema.metadata or {})}
        schema_metadata.update(self.metadata)
        table = table.replace_schema_metadata(schema_metadata)
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self.temporary,
                table.schema,
                compression="zstd",
                # record bodies are unique blobs: a dictionary never pays off for them
                use_dictionary=[c for c in table.column_names if c != "body"],
                write_page_checksum=True,
            )
        elif not table.schema.equals(self._writer.schema, check_metadata=False):
            raise _ColumnsChangedError
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.row_group_size:
            self._flush(everything=False)

    def _flush(self, *, everything: bool) -> None:
        """Write the held rows: all of them, or as many whole row groups as they fill."""
        assert self._writer is not None
        if not self._pending:
            return
        pending = self._pending
        table = pending[0] if len(pending) == 1 else pa.concat_tables(pending)
        size = self.row_group_size
        written = table.num_rows if everything else table.num_rows // size * size
        self._writer.write_table(table.slice(0, written), row_group_size=size)
        rest = table.slice(written)
        self._pending, self._pending_rows = ([rest] if rest.num_rows else []), rest.num_rows

    def finish(self) -> str:
        """Close, sync and rename the file; returns its sha256 (hex)."""
        assert self._writer is not None, "a segment has at least one record"
        self._flush(everything=True)
        self._writer.close()
        digest = file_sha256(self.temporary)
        with self.temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.temporary, self.final)
        _sync_dir(self.final.parent)
        return digest

    def abandon(self) -> None:
        """Close and remove the temporary file (after a failure)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._pending, self._pending_rows = [], 0
        self.temporary.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def segment_path(directory: Path, name: str) -> Path:
    """Path of a segment file named in the manifest."""
    return directory / "segments" / name
