"""A slate's candidates held as columns, read as :class:`Candidate` records on demand.

The guard, the signal gatherer and the decision log read candidates a column
at a time (ids, scores, ranks), so the server decodes a request straight into
columns: building 500 :class:`Candidate` records only to take them apart again
cost about 150 µs per request, and the log writer about 50 µs per record.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from bastion.core._errors import RequestError
from bastion.core._model import Candidate

Attributions = Mapping[str, float]

# map(attrgetter) walks 500 candidates in about half the time of a generator.
_ITEM_ID = attrgetter("item_id")
_SCORE = attrgetter("score")
_RANK = attrgetter("rank")
_CREATOR_ID = attrgetter("creator_id")
_ATTRIBUTIONS = attrgetter("attributions")


class CandidateColumns(Sequence[Candidate]):
    """Candidates in the ranker's order, stored as columns.

    Reads as a sequence of :class:`Candidate` records (built when indexed or
    iterated) and equals any sequence of equal candidates, so a request holding
    columns equals the same request holding a list. The columns are shared,
    not copied, by readers: treat them as read-only (the arrays are).

    Attributes:
        item_ids: Item ids.
        scores: Scores (float64, read-only).
        ranks: The ranker's positions (int64, read-only).
        creator_ids: Creator ids, ``None`` where the ranker did not say.
        attributions: Per-candidate attributions, or ``None`` when no
            candidate carries any.

    Raises:
        ValueError: The columns differ in length or are not one-dimensional.
        OverflowError: A rank does not fit in 64 bits.
    """

    __slots__ = ("attributions", "creator_ids", "item_ids", "ranks", "scores")

    item_ids: list[str]
    scores: npt.NDArray[np.float64]
    ranks: npt.NDArray[np.int64]
    creator_ids: list[str | None]
    attributions: list[Attributions | None] | None

    def __init__(
        self,
        *,
        item_ids: Sequence[str],
        scores: Sequence[float] | npt.NDArray[Any],
        ranks: Sequence[int] | npt.NDArray[Any],
        creator_ids: Sequence[str | None] | None = None,
        attributions: Sequence[Attributions | None] | None = None,
    ) -> None:
        size = len(item_ids)
        creators: list[str | None] = [None] * size if creator_ids is None else list(creator_ids)
        weights = None if attributions is None else list(attributions)
        self._set(
            list(item_ids),
            np.array(scores, dtype=np.float64),
            np.array(ranks, dtype=np.int64),
            creators,
            weights,
        )
        for name, column in (
            ("scores", self.scores),
            ("ranks", self.ranks),
            ("creator_ids", creators),
            ("attributions", weights),
        ):
            if column is not None and (
                (isinstance(column, np.ndarray) and column.ndim != 1) or len(column) != size
            ):
                raise ValueError(f"{name}: expected {size} values, one per item id")

    def _set(
        self,
        item_ids: list[str],
        scores: npt.NDArray[np.float64],
        ranks: npt.NDArray[np.int64],
        creator_ids: list[str | None],
        attributions: list[Attributions | None] | None,
    ) -> None:
        scores.flags.writeable = False
        ranks.flags.writeable = False
        self.item_ids = item_ids
        self.scores = scores
        self.ranks = ranks
        self.creator_ids = creator_ids
        self.attributions = (
            None
            if attributions is None or attributions.count(None) == len(attributions)
            else attributions
        )

    @classmethod
    def of(
        cls,
        item_ids: list[str],
        scores: npt.NDArray[np.float64],
        ranks: npt.NDArray[np.int64],
        creator_ids: list[str | None],
        attributions: list[Attributions | None] | None,
    ) -> CandidateColumns:
        """Columns that take ownership of these, unchecked (for decoders that built them).

        The lists are kept, not copied, and the arrays made read-only; the
        caller must not change them afterwards.
        """
        columns = object.__new__(cls)
        columns._set(item_ids, scores, ranks, creator_ids, attributions)
        return columns

    def __len__(self) -> int:
        return len(self.item_ids)

    @overload
    def __getitem__(self, index: int) -> Candidate: ...
    @overload
    def __getitem__(self, index: slice) -> CandidateColumns: ...
    def __getitem__(self, index: int | slice) -> Candidate | CandidateColumns:
        if isinstance(index, slice):
            attributions = self.attributions
            return CandidateColumns.of(
                self.item_ids[index],
                self.scores[index].copy(),
                self.ranks[index].copy(),
                self.creator_ids[index],
                None if attributions is None else attributions[index],
            )
        index = operator.index(index)
        item_id = self.item_ids[index]  # raises IndexError as a list does
        attributions = self.attributions
        return Candidate(
            item_id,
            float(self.scores[index]),
            int(self.ranks[index]),
            self.creator_ids[index],
            None if attributions is None else attributions[index],
        )

    def __iter__(self) -> Iterator[Candidate]:
        attributions = self.attributions
        return map(
            Candidate,
            self.item_ids,
            self.scores.tolist(),
            self.ranks.tolist(),
            self.creator_ids,
            repeat(None, len(self)) if attributions is None else attributions,
        )

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, CandidateColumns):
            return (
                self.item_ids == other.item_ids
                and bool(np.array_equal(self.scores, other.scores))
                and bool(np.array_equal(self.ranks, other.ranks))
                and self.creator_ids == other.creator_ids
                and self._attributions() == other._attributions()
            )
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(other) == len(self) and all(
                mine == theirs for mine, theirs in zip(self, other, strict=True)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable, as a list of candidates is

    def __repr__(self) -> str:
        return f"CandidateColumns({list(self)!r})"

    def _attributions(self) -> list[Attributions | None]:
        return [None] * len(self) if self.attributions is None else self.attributions


def candidate_columns(candidates: Sequence[Candidate]) -> CandidateColumns:
    """The columns of *candidates*: itself when it already is columns, else built once.

    Raises:
        RequestError: A rank does not fit in 64 bits.
    """
    if isinstance(candidates, CandidateColumns):
        return candidates
    items = candidates if isinstance(candidates, list | tuple) else list(candidates)
    ranks = list(map(_RANK, items))
    try:
        rank_column = np.array(ranks, dtype=np.int64)
    except OverflowError:
        bad = next(i for i, rank in enumerate(ranks) if not -(2**63) <= rank < 2**63)
        raise RequestError(
            f"candidate {bad} ({items[bad].item_id!r}) has rank {ranks[bad]}, "
            "outside the 64-bit range the guard ranks in"
        ) from None
    return CandidateColumns.of(
        list(map(_ITEM_ID, items)),
        np.array(list(map(_SCORE, items)), dtype=np.float64),
        rank_column,
        list(map(_CREATOR_ID, items)),
        list(map(_ATTRIBUTIONS, items)),
    )
