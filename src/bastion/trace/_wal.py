"""The write-ahead file of the open segment: framed, checksummed, chained records.

Frame layout (big-endian)::

    u32 body length | u32 crc32 of the rest | u64 seq | 32 B prev hash | 32 B hash | body

A record is durable once its frame is written and, under the configured
fsync policy, synced. After a crash the file is scanned: a frame cut short at
the end of the file (a torn tail) is reported and truncated; a bad frame with
valid data after it is corruption, and is refused rather than silently dropped.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bastion.trace._chain import record_hash
from bastion.trace._errors import TraceCorruptError

_HEADER = struct.Struct(">IIQ32s32s")
HEADER_SIZE = _HEADER.size
MAX_BODY_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Frame:
    """One record as stored: position in the log, chain hashes and body bytes."""

    seq: int
    prev_hash: bytes
    hash: bytes
    body: bytes


def encode_frame(frame: Frame) -> bytes:
    """The bytes of *frame* on disk."""
    tail = struct.pack(">Q32s32s", frame.seq, frame.prev_hash, frame.hash)
    crc = zlib.crc32(frame.body, zlib.crc32(tail))
    return _HEADER.pack(len(frame.body), crc, frame.seq, frame.prev_hash, frame.hash) + frame.body


@dataclass(frozen=True, slots=True)
class WalScan:
    """What a scan of a write-ahead file found.

    Attributes:
        frames: The valid frames, in order.
        valid_bytes: Length of the valid prefix of the file.
        torn_bytes: Bytes after the valid prefix (a torn tail), 0 when clean.
    """

    frames: list[Frame]
    valid_bytes: int
    torn_bytes: int


def scan(path: Path, *, check_chain: bool = True) -> WalScan:
    """Read every valid frame of *path*, detecting a torn tail.

    Raises:
        TraceCorruptError: A frame fails its checksum or chain check and valid
            frames follow it, or the chain inside the file is broken.
    """
    data = path.read_bytes()
    frames: list[Frame] = []
    offset = 0
    while offset < len(data):
        frame, size = _frame_at(data, offset)
        if frame is None:
            if _valid_frame_after(data, offset + 1):
                raise TraceCorruptError(
                    f"{path}: corrupt record at byte {offset} (after seq "
                    f"{frames[-1].seq if frames else 'none'}), with valid records after it"
                )
            return WalScan(frames, offset, len(data) - offset)
        if check_chain and frames:
            previous = frames[-1]
            if frame.seq != previous.seq + 1 or frame.prev_hash != previous.hash:
                raise TraceCorruptError(
                    f"{path}: record at byte {offset} (seq {frame.seq}) does not follow "
                    f"seq {previous.seq}"
                )
        frames.append(frame)
        offset += size
    return WalScan(frames, offset, 0)


def iter_frames(data: bytes) -> Iterator[Frame]:
    """Valid frames from the start of *data*, stopping at the first bad one."""
    offset = 0
    while offset < len(data):
        frame, size = _frame_at(data, offset)
        if frame is None:
            return
        yield frame
        offset += size


def truncate(path: Path, length: int) -> None:
    """Cut *path* to *length* bytes and sync it."""
    with path.open("r+b") as handle:
        handle.truncate(length)
        handle.flush()
        os.fsync(handle.fileno())


def _frame_at(data: bytes, offset: int) -> tuple[Frame | None, int]:
    if len(data) - offset < HEADER_SIZE:
        return None, 0
    length, crc, seq, prev_hash, hash_ = _HEADER.unpack_from(data, offset)
    end = offset + HEADER_SIZE + length
    if length > MAX_BODY_BYTES or end > len(data):
        return None, 0
    body = data[offset + HEADER_SIZE : end]
    tail = data[offset + 8 : offset + HEADER_SIZE]
    if zlib.crc32(body, zlib.crc32(tail)) != crc:
        return None, 0
    if record_hash(prev_hash, seq, body) != hash_:
        return None, 0
    return Frame(seq, prev_hash, hash_, body), end - offset


def _valid_frame_after(data: bytes, start: int) -> bool:
    """Whether a valid frame starts anywhere at or after *start* (slow; errors only)."""
    for offset in range(start, len(data) - HEADER_SIZE + 1):
        frame, _ = _frame_at(data, offset)
        if frame is not None:
            return True
    return False
