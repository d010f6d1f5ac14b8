"""The id -> row index of a memory store's table, in a few flat NumPy arrays.

A Python ``dict`` from 1M 12-character ids to rows costs ~125 MB (the dict, its
int objects and the id strings) and ~300 ns per id looked up with cold caches.
:class:`IdIndex` keeps the same mapping in ~40 bytes per id (39 MB for 1M):

* ``words``: each id's UTF-8 bytes, zero-padded to ``width`` (a multiple of 8),
  as ``width // 8`` ``uint64`` arrays indexed by row, plus an all-zero row at
  the end that row ``-1`` reads.
* ``table``: one ``uint64`` per id, ``tag << 32 | row``, where ``tag`` is the top
  32 bits of a 64-bit hash of the id's words. The values are sorted, with gaps:
  each sits at its *home* slot (``tag * homes >> 32``) or, when an entry with
  a smaller value took it, right after that entry. This is an ordered
  linear-probing table (Amble and Knuth, 1974): a sorted array that a lookup
  enters at the right place instead of by binary search. With 3 slots per id,
  a lookup reads one or two neighbouring slots, then compares the words of the
  row it found with the id's.

Why not ``np.searchsorted`` over the sorted ids: for a slate of 500 new ids over
1M, it takes ~300 us on sorted ``S16`` ids and ~100 us on sorted ``uint64``
hashes (cold caches), as each id descends ~20 levels, the last 8-10 of them
cache misses that wait on each other. Here each id misses once or twice, and
the 500 ids go to memory together: ~25 us, half of it NumPy's per-call cost.

An index is immutable; the table adds ids by building a new one
(:meth:`IdIndex.merged`) and swapping it in. What an index cannot hold is
handed back to the caller, which keeps it in its ``dict`` of recent ids (the
*delta*): ids ending with NUL, which fixed-width bytes cannot tell from the id
without, and ids whose tag another id already has (n**2 / 2**33 of n ids: ~120
of 1M, ~12k of 10M).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.stores import _arrays

Words = npt.NDArray[np.uint64]
Rows = npt.NDArray[np.intp]
IdArray = npt.NDArray[np.bytes_]

_EMPTY = np.uint64(2**64 - 1)  # above every entry: `tag << 32 | row` has row < 2**31
_TAG = np.uint64(0xFFFF_FFFF_0000_0000)
_SPREAD = np.uint64(29)
_MIX = np.uint64(0xFF51_AFD7_ED55_8CCD)  # from MurmurHash3's finaliser
_ROW_HALF = 0 if sys.byteorder == "little" else 1  # which int32 of a slot holds the row
# Home slots per id. A 500-id slate steps until its most displaced id is found:
# with 3 (1M ids: 24 MB) ~5 rounds; with 2 (16 MB) ~6 rounds, +4 us per lookup.
_SLOTS_PER_ID = 3
_HALF = np.uint64(32)
_MASK64 = 2**64 - 1


class BadIdsError(ValueError):
    """Ids handed to :meth:`IdIndex.build` repeat, or are not valid UTF-8."""


@functools.cache
def _multipliers(count: int) -> Words:
    """One odd 64-bit multiplier per word of an id (splitmix64 of its position)."""
    out = []
    state = 0
    for _ in range(count):
        state = (state + 0x9E37_79B9_7F4A_7C15) & _MASK64
        z = ((state ^ (state >> 30)) * 0xBF58_476D_1CE4_E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & _MASK64
        out.append((z ^ (z >> 31)) | 1)
    array = np.array(out, dtype=np.uint64)
    array.flags.writeable = False
    return array


def _hash(words: Words) -> Words:
    """A 64-bit hash of each row of *words*, the same at any width: zero words add nothing."""
    hashes: Words = words @ _multipliers(words.shape[1])
    hashes ^= hashes >> _SPREAD
    hashes *= _MIX
    return hashes


def _round_up(width: int) -> int:
    return max(8, -(-width // 8) * 8)


def _encode(ids: Sequence[str]) -> IdArray:
    """*ids* (none ending with NUL) as UTF-8 in a fixed-width bytes array as wide as the longest."""
    if not ids:
        return np.zeros(0, dtype="S8")
    if "".join(ids).isascii():
        return np.array(ids, dtype="S")
    # surrogatepass: a str may hold lone surrogates, and a dict key could.
    return np.array([i.encode("utf-8", "surrogatepass") for i in ids], dtype="S")


def _as_words(ids: IdArray, width: int) -> Words:
    """A ``(len(ids), width // 8)`` view of *ids* padded to *width* bytes."""
    padded = ids.astype(f"S{width}")
    return padded.view(np.uint64).reshape(len(ids), width // 8)


@dataclass(frozen=True, slots=True, eq=False)
class IdIndex:
    """Rows of up to 2**31 ids, built once and never changed; see the module docstring.

    Attributes:
        width: Bytes per id in ``words``, a multiple of 8; longer ids are not here.
        words: The ids' bytes, one ``uint64`` array per 8 bytes, indexed by row,
            with room to grow; the last element stays 0, for row ``-1``.
        covered: The rows below which ``words`` holds ids (zeros for ids apart).
        table: The ordered hash table, ``tag << 32 | row`` per id, empty slots all ones.
        homes: How many home slots the table has: an id's is ``tag * homes >> 32``.
        size: How many ids the table holds.
        pinned: How many ids were handed back to the delta by the build.
    """

    width: int
    words: tuple[Words, ...]
    covered: int
    table: Words
    homes: np.uint64
    size: int
    pinned: int
    query: np.dtype[np.bytes_]

    @classmethod
    def empty(cls) -> IdIndex:
        """An index of no ids (its arrays are read-only: every merge grows new ones)."""
        words, table = np.zeros(1, dtype=np.uint64), np.full(1, _EMPTY)
        words.flags.writeable = table.flags.writeable = False
        return cls(8, (words,), 0, table, np.uint64(1), 0, 0, np.dtype("S16"))

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return self.table.nbytes + sum(w.nbytes for w in self.words)

    # -- lookups ------------------------------------------------------------------

    def find(self, ids: Sequence[str]) -> Rows:
        """The row of each of *ids*, ``-1`` where the index does not hold it."""
        if not self.size or not ids:
            return np.full(len(ids), -1, dtype=np.intp)
        words, excluded = self._query_words(ids)
        if words is None:
            return np.full(len(ids), -1, dtype=np.intp)
        rows = self._probe(words)
        if excluded is not None:
            rows[excluded] = -1
        return rows

    def _query_words(self, ids: Sequence[str]) -> tuple[Words | None, npt.NDArray[np.bool_] | None]:
        """*ids* as rows of words of at least ``width`` bytes, and which ids cannot be here.

        The words are ``None`` where no id can be here.
        """
        count = len(ids)
        try:
            joined = "\x00".join(ids)
        except TypeError:  # an id that is not a string
            return self._query_words_slowly(ids)
        if not joined.isascii():
            return self._query_words_slowly(ids)
        first = len(ids[0])
        if len(joined) == count * (first + 1) - 1:
            # If every id is as long as the first (a common case), the joined ids
            # are already fixed-width: ~5 us for 500 ids, where np.array(ids) takes 14.
            data = (joined + "\x00").encode("ascii")
            grid = np.frombuffer(data, dtype=np.uint8).reshape(count, first + 1)
            # If the ids hold no NUL (count*first bytes are not NUL) and the
            # last column is all NUL, all NULs are accounted for: each row is an id.
            if np.count_nonzero(grid) == count * first and not np.count_nonzero(grid[:, first]):
                if first > self.width:
                    return None, None  # all too long to be here
                query = np.frombuffer(data, dtype=f"S{first + 1}").astype(self.query)
                return query.view(np.uint64).reshape(count, -1), None
        if joined.count("\x00") != count - 1:
            return self._query_words_slowly(ids)  # ids holding NUL
        # 8 bytes wider than the index: an id too long to be in it leaves bytes there.
        query = np.array(ids, dtype=self.query)
        words = query.view(np.uint64).reshape(count, -1)
        excluded = None
        if np.count_nonzero(words[:, -1]):
            excluded = words[:, -1] != 0
        return words, excluded

    def _query_words_slowly(self, ids: Sequence[str]) -> tuple[Words, npt.NDArray[np.bool_]]:
        excluded = np.zeros(len(ids), dtype=np.bool_)
        encoded: list[bytes] = []
        for position, the_id in enumerate(ids):
            if isinstance(the_id, str) and not the_id.endswith("\x00"):
                data = the_id.encode("utf-8", "surrogatepass")
                if len(data) <= self.width:
                    encoded.append(data)
                    continue
            encoded.append(b"")
            excluded[position] = True
        return _as_words(np.array(encoded, dtype=f"S{self.width}"), self.width), excluded

    def _probe(self, words: Words) -> Rows:
        """Rows of the ids in *words* (at least ``width`` bytes each), ``-1`` if not here."""
        hashes = _hash(words)
        table = self.table
        floor = hashes & _TAG  # the smallest slot value with this id's tag
        hashes >>= _HALF
        hashes *= self.homes
        hashes >>= _HALF
        slot = hashes.astype(np.intp)
        found = table.take(slot)
        behind = found < floor
        # Step on while a slot holds a smaller tag: ~6 rounds for 500 ids (the
        # most displaced id decides), and never past the empty slot at the end.
        while np.count_nonzero(behind):  # 4x faster than behind.any() on 500
            slot += behind
            found = table.take(slot)
            np.less(found, floor, out=behind)
        rows = found.view(np.int32)[_ROW_HALF::2].astype(np.intp)  # empty slots: -1
        match = self.words[0].take(rows) == words[:, 0]
        for j in range(1, len(self.words)):
            match &= self.words[j].take(rows) == words[:, j]
        result: Rows = np.where(match, rows, -1)
        return result

    # -- building -----------------------------------------------------------------

    @classmethod
    def build(cls, ids: IdArray, apart: Mapping[int, str]) -> tuple[IdIndex, dict[str, int]]:
        """An index of *ids* (UTF-8, in row order), and the delta it hands back.

        Args:
            ids: One id per row; rows in *apart* are ignored.
            apart: Row -> id for the ids kept in the delta (those ending with NUL).

        Raises:
            BadIdsError: An id repeats, or is not valid UTF-8.
        """
        count = len(ids)
        width = _round_up(ids.dtype.itemsize)
        words = _grown((), count, width)
        matrix = _as_words(ids, width)
        for j, column in enumerate(words):
            column[:count] = matrix[:, j]
        rows = np.arange(count, dtype=np.intp)
        if apart:
            rows = np.delete(rows, np.fromiter(apart, dtype=np.intp, count=len(apart)))
        delta = {the_id: row for row, the_id in apart.items()}
        if len(delta) != len(apart):
            raise BadIdsError("ids are not unique")
        values = _values(matrix[rows], rows)
        del matrix, rows
        values.sort()
        return _assemble(width, words, count, values, delta)

    def merged(self, ids: Sequence[str], rows: Rows, total: int) -> tuple[IdIndex, dict[str, int]]:
        """A new index of this one's ids and *ids* (at *rows*), and the delta it hands back.

        Readers may go on using this index meanwhile: the new one shares its
        ``words`` where they have room, but writes only rows this one has not.

        Args:
            ids: Ids not in this index, all distinct.
            rows: The row of each of *ids*.
            total: The row count after the merge: every row below it has an id.
        """
        delta: dict[str, int] = {}
        if "\x00" in "".join(ids):  # rare: ids ending with NUL stay in the delta
            kept = [p for p, i in enumerate(ids) if not i.endswith("\x00")]
            delta = {
                i: int(r) for i, r in zip(ids, rows.tolist(), strict=True) if i.endswith("\x00")
            }
            ids = [ids[p] for p in kept]
            rows = rows[kept]
        encoded = _encode(ids)
        width = max(self.width, _round_up(encoded.dtype.itemsize))
        words = self.words
        if width > self.width or total >= len(words[0]):
            words = _grown(words, total, width, self.covered)
        matrix = _as_words(encoded, width)
        for j, column in enumerate(words):
            # Rows past `covered`, which this index's table never names; a tag
            # repeat's row (below it) gets the same bytes again.
            column[rows] = matrix[:, j]
        added = _values(matrix, rows)
        del matrix, encoded
        # Both parts are sorted; sorting their concatenation merges them (~10 ms per 1M).
        values = np.concatenate([self.table[self.table != _EMPTY], added])
        del added
        values.sort()
        return _assemble(width, words, total, values, delta)

    # -- snapshots ----------------------------------------------------------------

    def ids_by_row(self, delta: Mapping[str, int], count: int) -> tuple[IdArray, dict[int, str]]:
        """The ids of rows ``0..count-1`` as UTF-8, with those in *delta*; and those kept apart.

        Returns:
            The fixed-width ids (an empty id where a row's id is kept apart), and
            row -> id for the ids that end with NUL.
        """
        apart = {row: i for i, row in delta.items() if i.endswith("\x00")}
        others = [i for i in delta if not i.endswith("\x00")]
        encoded = _encode(others)
        width = max(self.width, _round_up(encoded.dtype.itemsize))
        out = np.zeros((count, width // 8), dtype=np.uint64)
        covered = min(self.covered, count)
        for j, column in enumerate(self.words):
            out[:covered, j] = column[:covered]
        if others:
            rows = np.fromiter((delta[i] for i in others), dtype=np.intp, count=len(others))
            out[rows] = _as_words(encoded, width)
        ids: IdArray = out.view(f"S{width}").reshape(count)
        return ids, apart


def _values(matrix: Words, rows: Rows) -> Words:
    """Table values, ``tag << 32 | row``, of the ids in *matrix* at *rows*."""
    values: Words = (_hash(matrix) & _TAG) | rows.astype(np.uint64)
    return values


def _grown(words: tuple[Words, ...], rows: int, width: int, keep: int = 0) -> tuple[Words, ...]:
    """Word arrays of *width* bytes for *rows* rows and more (doubling); the first *keep* copied."""
    capacity = max(16, len(words[0]) - 1 if words else 0)
    while capacity < rows:
        capacity *= 2
    grown = tuple(_arrays.full(capacity + 1, 0, np.uint64) for _ in range(width // 8))
    for column, old in zip(grown, words, strict=False):
        column[:keep] = old[:keep]
    return grown


def _assemble(
    width: int, words: tuple[Words, ...], covered: int, values: Words, delta: dict[str, int]
) -> tuple[IdIndex, dict[str, int]]:
    """The index of sorted *values*; an id whose tag an earlier one has joins *delta*."""
    tags = values >> np.uint64(32)
    repeats = np.flatnonzero(tags[1:] == tags[:-1]) + 1
    del tags
    if len(repeats):
        _pin(width, words, values, repeats, delta)
        values = np.delete(values, repeats)
    size = len(values)
    homes = min(max(size * _SLOTS_PER_ID, 4), 2**32 - 1)  # tag * homes must fit 64 bits
    table = np.full(homes, _EMPTY)
    if size:
        # Each entry goes to its home slot, or right after the entry before it:
        # slot[i] = max(home[i], slot[i - 1] + 1), computed as a running maximum.
        slots = values >> _HALF
        slots *= np.uint64(homes)
        slots >>= _HALF
        slots = slots.view(np.intp)  # home slots, below 2**32
        steps = np.arange(size, dtype=np.intp)
        slots -= steps
        np.maximum.accumulate(slots, out=slots)
        slots += steps
        del steps
        # At least one empty slot after the last entry stops every probe.
        table = _arrays.full(max(homes, int(slots[-1]) + 1) + 1, _EMPTY, np.uint64)
        table[slots] = values
    query = np.dtype(f"S{width + 8}")
    return IdIndex(width, words, covered, table, np.uint64(homes), size, len(delta), query), delta


def _pin(
    width: int, words: tuple[Words, ...], values: Words, repeats: Rows, delta: dict[str, int]
) -> None:
    """Move the ids at *repeats* (each with the tag of the entry before) to *delta*.

    Raises:
        BadIdsError: An id equals the one it shares a tag with, or is not UTF-8.
    """
    low = np.uint64(0xFFFF_FFFF)
    positions = np.arange(len(values), dtype=np.intp)
    starts = positions.copy()
    starts[repeats] = 0
    heads = np.maximum.accumulate(starts)[repeats]  # the first entry of each repeat's run
    pinned = (values[repeats] & low).astype(np.intp)
    heads = (values[heads] & low).astype(np.intp)
    try:
        pinned_ids = _decode(width, words, pinned)
        head_ids = _decode(width, words, heads)
    except UnicodeDecodeError:
        raise BadIdsError("ids are not valid UTF-8") from None
    for the_id, head, row in zip(pinned_ids, head_ids, pinned.tolist(), strict=True):
        if the_id == head or the_id in delta:
            raise BadIdsError("ids are not unique")
        delta[the_id] = row


def _decode(width: int, words: tuple[Words, ...], rows: Rows) -> list[str]:
    matrix = np.stack([column[rows] for column in words], axis=1)
    raw: list[bytes] = matrix.view(f"S{width}").reshape(len(rows)).tolist()
    return [data.decode("utf-8", "surrogatepass") for data in raw]
