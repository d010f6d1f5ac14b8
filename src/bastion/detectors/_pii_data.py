"""A labelled PII evaluation set Bastion makes itself, and span-level precision and recall.

:func:`generate_examples` writes seeded English and German sentences with
planted PII of every type beside realistic look-alikes that are not PII
(order numbers, versions, dates, prices, Luhn-invalid card numbers, ISBNs,
tracking codes), each with its gold spans. :func:`plant_pii` plants PII into
real texts at word boundaries. :func:`evaluate_spans` scores a detector on
either, per type, by exact span and by overlap.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bastion.detectors._errors import DetectorError
from bastion.detectors._pii_values import MAKERS, near_miss
from bastion.detectors._protocol import Detector
from bastion.detectors._scores import Span

TYPES = tuple(MAKERS)

_CUES = {
    "en": {
        "email": ("email me at", "my address is", "send it to", "contact:"),
        "phone": ("call me on", "my number is", "text", "reach me at"),
        "payment_card": ("my card number is", "charge", "use card", "card:"),
        "national_id": ("my id is", "SSN", "id number", "reference"),
        "ip_address": ("my IP is", "the server at", "connect to", "from"),
        "street_address": ("I live at", "ship to", "we moved to", "meet at"),
    },
    "de": {
        "email": ("schreib mir an", "meine Mail ist", "Kontakt:", "an"),
        "phone": ("ruf mich an unter", "meine Nummer ist", "Tel.", "erreichbar unter"),
        "payment_card": ("meine Kartennummer ist", "Karte:", "bitte abbuchen von", "Kreditkarte"),
        "national_id": ("meine Steuer-ID ist", "Ausweis", "Nummer", "ID:"),
        "ip_address": ("meine IP ist", "der Server", "Verbindung zu", "von"),
        "street_address": ("ich wohne in der", "Lieferung an", "wir sind in der", "Treffpunkt"),
    },
}
_OPENERS = {
    "en": ("Hi all,", "Quick update:", "Sorry for the delay.", "As discussed,", "FYI", ""),
    "de": ("Hallo zusammen,", "Kurzes Update:", "Wie besprochen", "Nur zur Info:", ""),
}
_CLOSERS = {
    "en": ("thanks!", "see you tomorrow.", "let me know.", "cheers", "lol", ""),
    "de": ("danke!", "bis morgen.", "Gruß", "meld dich.", ""),
}
_MISS_CUES = {
    "en": ("order", "released", "on", "total", "tracking", "ISBN", "ref", "at", "paid"),
    "de": ("Bestellung", "Version", "am", "Summe", "Sendung", "ISBN", "Betrag", "um"),
}


@dataclass(frozen=True, slots=True)
class PiiExample:
    """A text with its gold PII spans.

    Attributes:
        text: The text.
        spans: The PII in it, sorted, with ``score`` 1.
        language: ``en``, ``de`` or ``real`` (planted into a real text).
    """

    text: str
    spans: tuple[Span, ...]
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Prf:
    """Precision, recall and F1 (1.0 where nothing was there to get wrong)."""

    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, hit_predicted: int, predicted: int, hit_gold: int, gold: int) -> Prf:
        """From the counts of matched predictions and matched gold spans."""
        precision = hit_predicted / predicted if predicted else 1.0
        recall = hit_gold / gold if gold else 1.0
        total = precision + recall
        return cls(precision, recall, 2 * precision * recall / total if total else 0.0)


@dataclass(frozen=True, slots=True)
class SpanScores:
    """How well one type's spans were found.

    Attributes:
        label: The type (``pii``: every type, the type itself ignored).
        gold: Gold spans of this type.
        predicted: Predicted spans at or above the detector's threshold.
        exact: A prediction counts only with the same start, end and label.
        overlap: A prediction counts when it overlaps a gold span of its label.
    """

    label: str
    gold: int
    predicted: int
    exact: Prf
    overlap: Prf


def generate_examples(count: int, *, seed: int = 0) -> list[PiiExample]:
    """*count* seeded sentences, English and German, with PII, look-alikes, or both.

    About one in five holds look-alikes only, so precision is measured on
    texts with no PII too.
    """
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        language = rng.choice(("en", "de"))
        parts: list[tuple[str, str | None]] = [(rng.choice(_OPENERS[language]), None)]
        planted = [] if rng.random() < 0.2 else rng.sample(TYPES, rng.randint(1, 2))
        items: list[tuple[str, str | None]] = [(t, t) for t in planted]
        items += [("miss", None)] * rng.randint(0 if planted else 1, 2)
        rng.shuffle(items)
        for kind, label in items:
            if label is None:
                parts += [(rng.choice(_MISS_CUES[language]), None), (near_miss(rng), None)]
            else:
                parts += [(rng.choice(_CUES[language][kind]), None), (MAKERS[kind](rng), label)]
            parts.append((rng.choice((",", ";", " and", " -")), None))
        parts[-1] = (rng.choice(_CLOSERS[language]), None)
        examples.append(_join(parts, language))
    return examples


def _join(parts: Sequence[tuple[str, str | None]], language: str) -> PiiExample:
    text = ""
    spans = []
    for piece, label in parts:
        if not piece:
            continue
        if text and not piece.startswith((",", ";")):
            text += " "
        if label is not None:
            spans.append(Span(len(text), len(text) + len(piece), label))
        text += piece
    return PiiExample(text, tuple(spans), language)


def plant_pii(texts: Sequence[str], rng: random.Random) -> list[PiiExample]:
    """Each text with one PII value of a random type planted at a random word boundary."""
    examples = []
    for text in texts:
        label = rng.choice(TYPES)
        value = MAKERS[label](rng)
        bounds = [0, len(text)] + [i + 1 for i, c in enumerate(text) if c == " "]
        at = rng.choice(bounds)
        before, after = text[:at].rstrip(" "), text[at:].lstrip(" ")
        head = f"{before} " if before else ""
        planted = f"{head}{value}{' ' if after else ''}{after}"
        spans = (Span(len(head), len(head) + len(value), label),)
        examples.append(PiiExample(planted, spans, "real"))
    return examples


def evaluate_spans(
    detector: Detector, examples: Sequence[PiiExample], *, batch_size: int = 512
) -> dict[str, SpanScores]:
    """Per type (and ``pii`` overall) precision, recall and F1 of a detector's spans.

    Predicted spans below the detector's threshold for their label are not
    counted. Exact match needs the same start, end and label; overlap match a
    shared character with a gold span of the same label.
    """
    counts = {label: [0] * 6 for label in ("pii", *TYPES)}
    thresholds = detector.thresholds
    for offset in range(0, len(examples), batch_size):
        chunk = examples[offset : offset + batch_size]
        batch = detector.score([e.text for e in chunk])
        if batch.spans is None:
            raise DetectorError(f"{detector.name} returns no spans to evaluate")
        for example, found in zip(chunk, batch.spans, strict=True):
            predicted = [s for s in found if s.score >= thresholds.get(s.label, 0.5)]
            for label, row in counts.items():
                _count(row, label, predicted, example.spans)
    return {
        label: SpanScores(
            label,
            gold=row[1],
            predicted=row[0],
            exact=Prf.of(row[2], row[0], row[3], row[1]),
            overlap=Prf.of(row[4], row[0], row[5], row[1]),
        )
        for label, row in counts.items()
    }


def _count(row: list[int], label: str, predicted: list[Span], gold: tuple[Span, ...]) -> None:
    """Add to ``[predicted, gold, exact hit pred, exact hit gold, overlap pred, overlap gold]``."""
    anything = label == "pii"
    mine = [s for s in predicted if anything or s.label == label]
    truth = [s for s in gold if anything or s.label == label]
    row[0] += len(mine)
    row[1] += len(truth)

    def same(a: Span, b: Span) -> bool:
        return a.start == b.start and a.end == b.end and (anything or a.label == b.label)

    def overlaps(a: Span, b: Span) -> bool:
        return a.start < b.end and b.start < a.end

    row[2] += sum(any(same(p, g) for g in truth) for p in mine)
    row[3] += sum(any(same(p, g) for p in mine) for g in truth)
    row[4] += sum(any(overlaps(p, g) for g in truth) for p in mine)
    row[5] += sum(any(overlaps(p, g) for p in mine) for g in truth)
