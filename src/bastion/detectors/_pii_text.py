"""A normalised copy of a text for PII matching, with a map back to the original indices.

Matching runs on a copy where obfuscation is undone: zero-width and other
format characters (``U+200B``, ``U+FEFF``, soft hyphen ...) are dropped,
compatibility forms are folded by NFKC (full-width ``１２３`` -> ``123``), every
decimal digit of any script becomes its ASCII digit and Unicode dashes become
``-``. Spans found in the copy are mapped back with :meth:`Normalized.span`,
so they always point into the text the caller passed.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """What one non-ASCII character becomes in the matching copy."""
    if char in _DASHES:
        return "-"
    category = unicodedata.category(char)
    if category == "Cf":
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category == "Cs":  # a lone surrogate: keep it, it matches nothing
        return char
    folded = unicodedata.normalize("NFKC", char)
    # NFKC may yield characters that fold further (a full-width dash, say).
    return "".join(_fold(c) if not c.isascii() and c != char else c for c in folded)


@dataclass(frozen=True, slots=True)
class Normalized:
    """The matching copy of a text and the map from its indices to the original's.

    Attributes:
        text: The copy that patterns run on.
        starts: Sorted indices into :attr:`text` where a run of the map begins.
        origins: For each run, the original index of its first character.
        steps: For each run, 1 when it copies the original one to one, 0 when
            every character of the run comes from the same original character.
    """

    text: str
    starts: tuple[int, ...] = ()
    origins: tuple[int, ...] = ()
    steps: tuple[int, ...] = ()

    def origin(self, index: int) -> int:
        """The original index of the character at *index* of the copy."""
        if not self.starts:
            return index
        run = bisect_right(self.starts, index) - 1
        return self.origins[run] + self.steps[run] * (index - self.starts[run])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` of the copy's non-empty ``[start, end)``."""
        if not self.starts:
            return start, end
        return self.origin(start), self.origin(end - 1) + 1


def normalize(text: str) -> Normalized:
    """The matching copy of *text*; ASCII text is its own copy (no work, no map)."""
    if text.isascii():
        return Normalized(text)
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    steps: list[int] = []
    written = 0  # length of the copy so far
    copied = 0  # original index up to which text is copied
    changed = False
    for found in _NON_ASCII.finditer(text):
        index = found.start()
        char = found.group()
        folded = _fold(char)
        if folded == char:
            continue
        changed = True
        if index > copied:
            pieces.append(text[copied:index])
            starts.append(written)
            origins.append(copied)
            steps.append(1)
            written += index - copied
        if folded:
            pieces.append(folded)
            starts.append(written)
            origins.append(index)
            steps.append(1 if len(folded) == 1 else 0)
            written += len(folded)
        copied = index + 1
    if not changed:
        return Normalized(text)
    if copied < len(text):
        pieces.append(text[copied:])
        starts.append(written)
        origins.append(copied)
        steps.append(1)
    return Normalized("".join(pieces), tuple(starts), tuple(origins), tuple(steps))
