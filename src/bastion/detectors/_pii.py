"""The ``bastion/pii`` detector: emails, phones, cards, national ids, IPs and street addresses.

Rules, not a model: linear-time regexes propose, validators (Luhn and card
prefixes, SSN ranges, NINO prefixes, Steuer-ID and DNI check digits,
``ipaddress``) confirm, and each match gets a confidence from how distinctive
its format is. Matching runs on a normalised copy (zero-width characters
dropped, NFKC, any script's digits as ASCII) and spans are mapped back to the
caller's text. Where matches overlap, the higher score wins, then the longer.
Personal names are not detected. Figures: ``models/pii.md``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np

from bastion.detectors._pii_match import Candidate, candidates
from bastion.detectors._pii_text import normalize
from bastion.detectors._registry import detector
from bastion.detectors._scores import ScoreBatch, Span

NAME = "bastion/pii"
TYPES = ("email", "phone", "payment_card", "national_id", "ip_address", "street_address")
LABELS = ("pii", *TYPES)
_ROUNDS = 4  # searches after redaction; a chain of glued neighbours longer than this is cut
_COLUMN = {label: i for i, label in enumerate(LABELS)}


def resolve_overlaps(found: Iterable[Candidate]) -> list[Candidate]:
    """Keep non-overlapping candidates, best first (higher score, then longer), sorted by start.

    Candidates are split into clusters of transitively overlapping ones, and
    each cluster is resolved greedily on its own, so the work stays
    ``O(n log n)`` however many candidates a huge text yields.
    """
    ordered = sorted(found, key=lambda c: (c[0], c[1]))
    kept: list[Candidate] = []
    cluster: list[Candidate] = []
    reach = -1
    for candidate in ordered:
        if cluster and candidate[0] >= reach:
            kept.extend(_resolve_cluster(cluster))
            cluster = []
        cluster.append(candidate)
        reach = max(reach, candidate[1]) if len(cluster) > 1 else candidate[1]
    if cluster:
        kept.extend(_resolve_cluster(cluster))
    return kept


def _resolve_cluster(cluster: list[Candidate]) -> list[Candidate]:
    if len(cluster) == 1:
        return cluster
    chosen: list[Candidate] = []
    for c in sorted(cluster, key=lambda c: (-c[3], c[0] - c[1], c[0], c[2])):
        if all(c[1] <= k[0] or k[1] <= c[0] for k in chosen):
            chosen.append(c)
    return sorted(chosen)


def _redact_map(text: str, kept: list[Candidate]) -> tuple[str, list[int], list[int]]:
    """*text* with *kept* redacted, and where its runs start: text and token runs alternate.

    Returns the redacted text, the start of every run in it and, for the text
    runs (even positions), the index in *text* where that run starts.
    """
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    written = position = 0
    for start, end, label, _ in kept:
        for piece, origin in ((text[position:start], position), (f"[{label.upper()}]", -1)):
            starts.append(written)
            origins.append(origin)
            pieces.append(piece)
            written += len(piece)
        position = end
    starts.append(written)
    origins.append(position)
    pieces.append(text[position:])
    return "".join(pieces), starts, origins


class PiiDetector:
    """Finds personal data in texts and locates it for redaction.

    Args:
        min_score: Spans below this confidence are not reported at all;
            those at or above a label's threshold flag the text.
    """

    def __init__(self, *, min_score: float = 0.3) -> None:
        self.min_score = min_score

    @property
    def name(self) -> str:
        """The registered name."""
        return NAME

    @property
    def labels(self) -> tuple[str, ...]:
        """``pii`` (any type) then one column per type."""
        return LABELS

    @property
    def thresholds(self) -> Mapping[str, float]:
        """0.5 everywhere: bare digit runs (a 10-digit phone, a 9-digit SSN) score below it."""
        return MappingProxyType(dict.fromkeys(LABELS, 0.5))

    def find(self, text: str) -> tuple[Span, ...]:
        """The non-overlapping PII spans of *text*, sorted, in *text*'s own indices."""
        normalized = normalize(text)
        kept = self._search(normalized.text)
        spans = []
        for start, end, label, score in kept:
            first, last = normalized.span(start, end)
            spans.append(Span(first, last, label, score))
        return tuple(spans)

    def _search(self, text: str) -> list[Candidate]:
        """Non-overlapping candidates, each judged as if its neighbours were redacted.

        A match can hide its neighbour (``...1111(415) 555-2671``: the card's
        last digit glues the phone into a longer number). Searching again with
        the found spans redacted finds such neighbours, so that re-scoring a
        redacted text finds nothing new.
        """
        kept = resolve_overlaps(c for c in candidates(text) if c[3] >= self.min_score)
        for _ in range(_ROUNDS):
            if not kept:
                break
            redacted, starts, origins = _redact_map(text, kept)
            more = []
            for start, end, label, score in candidates(redacted):
                run = bisect_right(starts, start) - 1
                if score < self.min_score or run < 0 or run % 2:  # odd runs are tokens
                    continue
                if run + 1 < len(starts) and end > starts[run + 1]:
                    continue
                shift = origins[run] - starts[run]
                more.append((start + shift, end + shift, label, score))
            if not more:
                break
            kept = sorted(kept + resolve_overlaps(more))
        return kept

    def score(self, texts: Sequence[str]) -> ScoreBatch:
        """Per text, the highest span score of each type (``pii``: of any), and the spans."""
        if not texts:
            return ScoreBatch.empty(NAME, LABELS)
        scores = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        all_spans = []
        for row, text in enumerate(texts):
            spans = self.find(text)
            for span in spans:
                column = _COLUMN[span.label]
                scores[row, column] = max(scores[row, column], span.score)
                scores[row, 0] = max(scores[row, 0], span.score)
            all_spans.append(spans)
        return ScoreBatch(NAME, LABELS, scores, spans=tuple(all_spans))


def redact(text: str, spans: Iterable[Span], *, style: str = "[LABEL]") -> str:
    """*text* with every span replaced by *style*, where ``LABEL`` becomes the span's label.

    ``style="[LABEL]"`` turns an email into ``[EMAIL]``; a style without
    ``LABEL`` (``"***"``) replaces every span with the same text. Overlapping
    spans are merged into the first one.

    Raises:
        ValueError: A span lies outside *text*.
    """
    pieces: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if not 0 <= span.start <= span.end <= len(text):
            raise ValueError(f"span {span.start}:{span.end} is outside a text of {len(text)}")
        if span.start < position:  # overlaps the previous span: widen it
            position = max(position, span.end)
            continue
        pieces.append(text[position : span.start])
        pieces.append(style.replace("LABEL", span.label.upper()))
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)


@detector(NAME)
def build(*, model_dir: Path | None = None) -> PiiDetector:
    """The PII detector; it has no model file, so *model_dir* is ignored."""
    del model_dir
    return PiiDetector()
