"""Write-ahead frames: round trip, torn tails cut, corruption refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.trace import GENESIS, TraceCorruptError, record_hash
from bastion.trace._wal import HEADER_SIZE, Frame, encode_frame, scan

bodies = st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=12)


def chain(payloads: list[bytes], start: int = 0, prev: bytes = GENESIS) -> list[Frame]:
    frames = []
    for seq, body in enumerate(payloads, start=start):
        digest = record_hash(prev, seq, body)
        frames.append(Frame(seq, prev, digest, body))
        prev = digest
    return frames


def write(path: Path, frames: list[Frame]) -> bytes:
    data = b"".join(encode_frame(f) for f in frames)
    path.write_bytes(data)
    return data


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=bodies)
def test_frames_round_trip(tmp_path: Path, payloads: list[bytes]) -> None:
    path = tmp_path / "a.wal"
    frames = chain(payloads)
    write(path, frames)
    result = scan(path)
    assert result.frames == frames
    assert result.torn_bytes == 0


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=bodies, data=st.data())
def test_a_cut_anywhere_in_the_last_frame_is_a_torn_tail(
    tmp_path: Path, payloads: list[bytes], data: st.DataObject
) -> None:
    path = tmp_path / "a.wal"
    frames = chain(payloads)
    full = write(path, frames)
    last = len(encode_frame(frames[-1]))
    cut = data.draw(st.integers(min_value=1, max_value=last - 1))
    path.write_bytes(full[: len(full) - cut])
    result = scan(path)
    assert result.frames == frames[:-1]
    assert result.torn_bytes == last - cut
    assert result.valid_bytes == len(full) - last


def test_a_flipped_byte_in_the_middle_is_corruption_not_a_tail(tmp_path: Path) -> None:
    path = tmp_path / "a.wal"
    frames = chain([b"x" * 50, b"y" * 50, b"z" * 50])
    data = bytearray(write(path, frames))
    data[len(encode_frame(frames[0])) + HEADER_SIZE + 10] ^= 0x01  # inside the second body
    path.write_bytes(bytes(data))
    with pytest.raises(TraceCorruptError, match="corrupt record at byte"):
        scan(path)


def test_a_flipped_byte_in_the_last_frame_is_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "a.wal"
    frames = chain([b"x" * 50, b"y" * 50])
    data = bytearray(write(path, frames))
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    result = scan(path)
    assert result.frames == frames[:1]
    assert result.torn_bytes == len(encode_frame(frames[1]))


def test_a_gap_in_the_chain_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.wal"
    frames = chain([b"a", b"b", b"c"])
    write(path, [frames[0], frames[2]])
    with pytest.raises(TraceCorruptError, match="does not follow"):
        scan(path)
