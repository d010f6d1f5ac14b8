"""The PII detector: each type found with its span, look-alikes left alone, redaction."""

from __future__ import annotations

import csv
import random
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.detectors import Detector, Span, load_detector
from bastion.detectors._pii import LABELS, PiiDetector, redact, resolve_overlaps
from bastion.detectors._pii_data import (
    TYPES,
    evaluate_spans,
    generate_examples,
    plant_pii,
)
from bastion.detectors._pii_text import normalize
from bastion.detectors._pii_values import near_miss
from tests.shared_data import shared_data

DETECTOR = PiiDetector()


def flagged(text: str) -> list[tuple[str, str]]:
    """``(label, matched text)`` of the spans at or above their threshold."""
    thresholds = DETECTOR.thresholds
    return [
        (s.label, text[s.start : s.end])
        for s in DETECTOR.find(text)
        if s.score >= thresholds[s.label]
    ]


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        ("write to anna.weber+news@mail.co.uk today", "email", "anna.weber+news@mail.co.uk"),
        ("call (415) 555-2671 now", "phone", "(415) 555-2671"),
        ("call 415-555-2671 now", "phone", "415-555-2671"),
        ("ring +44 20 7946 0958 please", "phone", "+44 20 7946 0958"),
        ("ring 020 7946 0958 please", "phone", "020 7946 0958"),
        ("Handy +49 151 12345678 bitte", "phone", "+49 151 12345678"),
        ("Festnetz 030 901820 bitte", "phone", "030 901820"),
        ("appelle 01 42 68 53 00 stp", "phone", "01 42 68 53 00"),
        ("WhatsApp +91 98765 43210 ok", "phone", "+91 98765 43210"),
        ("card 4111 1111 1111 1111 ok", "payment_card", "4111 1111 1111 1111"),
        ("amex 3782-822463-10005 ok", "payment_card", "3782-822463-10005"),
        ("card 5555555555554444.", "payment_card", "5555555555554444"),
        ("my SSN is 123-45-6789 ok", "national_id", "123-45-6789"),
        ("NINO AB 12 34 56 C ok", "national_id", "AB 12 34 56 C"),
        ("Steuer-ID 86 095 742 719 ok", "national_id", "86 095 742 719"),
        ("DNI 12345678Z ok", "national_id", "12345678Z"),
        ("NIE X1234567L ok", "national_id", "X1234567L"),
        ("from 192.168.1.10, again", "ip_address", "192.168.1.10"),
        ("from 2001:db8:85a3::8a2e:370:7334 again", "ip_address", "2001:db8:85a3::8a2e:370:7334"),
        ("I live at 221B Baker Street now", "street_address", "221B Baker Street"),
        (
            "ship to 12 Oak Ave, Apt 4B, Portland, OR 97201 asap",
            "street_address",
            "12 Oak Ave, Apt 4B, Portland, OR 97201",
        ),
        ("wohne Hauptstraße 5, 10115 Berlin seit", "street_address", "Hauptstraße 5, 10115 Berlin"),
        ("in der Berliner Straße 12a", "street_address", "Berliner Straße 12a"),
    ],
)
def test_each_type_is_found_with_its_span(text: str, label: str, value: str) -> None:
    assert flagged(text) == [(label, value)]
    batch = DETECTOR.score([text])
    assert batch.column(label)[0] >= 0.5
    assert batch.column("pii")[0] == batch.scores[0].max()


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 declined",  # Luhn-invalid
        "number 1234567812345678 is not a card",  # Luhn-invalid, no brand
        "order #123456789 shipped",
        "order 114-3941689-8772232 shipped",
        "update to v1.2.3 or version 10.0.19041.1",
        "release 2.4.1.0 is out",
        "on 2023-01-15 and 15.01.2023 and 01/15/2023",
        "total $1,234.56 or 2.499,00 €",
        "ISBN 978-3-16-148410-0 and 9783161484100",
        "tracking 1Z999AA10123456784",
        "tracking 9400 1118 9922 3857 6612 34",
        "SSN 000-12-3456 and 666-12-3456 and 912-34-5678",
        "NINO QQ 12 34 56 C is a specimen",
        "DNI 12345678A has the wrong letter",
        "at 12:30:45 and MAC 00:1A:2B:3C:4D:5E",
        "256.1.1.1 is no address",
        "I have 3 dogs on the road",
        "hi @john and john@localhost",
    ],
)
def test_near_misses_are_not_flagged(text: str) -> None:
    assert flagged(text) == []


def test_generated_near_misses_are_not_flagged() -> None:
    rng = random.Random(3)
    misses = [near_miss(rng) for _ in range(500)]
    assert [m for m in misses if flagged(m)] == []


def test_context_words_lift_bare_numbers() -> None:
    assert flagged("4155552671") == []
    assert flagged("text me 4155552671") == [("phone", "4155552671")]
    assert flagged("123456789") == []
    assert flagged("SSN: 123456789") == [("national_id", "123456789")]


def test_overlaps_keep_the_higher_score_then_the_longer() -> None:
    kept = resolve_overlaps(
        [(0, 10, "phone", 0.5), (2, 12, "payment_card", 0.99), (12, 14, "phone", 0.9)]
    )
    assert kept == [(2, 12, "payment_card", 0.99), (12, 14, "phone", 0.9)]
    assert resolve_overlaps([(0, 5, "a", 0.9), (0, 8, "b", 0.9)]) == [(0, 8, "b", 0.9)]
    # An email holding a phone-like local part is one email span.
    assert flagged("mail 4155552671@example.com") == [("email", "4155552671@example.com")]


def test_redact() -> None:
    text = "mail anna@example.org or call (415) 555-2671."
    spans = DETECTOR.find(text)
    assert redact(text, spans) == "mail [EMAIL] or call [PHONE]."
    assert redact(text, spans, style="<LABEL>") == "mail <EMAIL> or call <PHONE>."
    assert redact(text, spans, style="***") == "mail *** or call ***."
    assert redact(text, []) == text
    overlapping = [Span(0, 4, "a"), Span(2, 9, "b")]
    assert redact("abcdefghij", overlapping, style="#") == "#j"
    with pytest.raises(ValueError, match="outside"):
        redact("abc", [Span(1, 9, "email")])


def test_obfuscation_is_seen_through_with_spans_in_the_original() -> None:
    text = "mail jo\u200bhn@exa\u200bmple.com or ＋１ ４１５ ５５５ ２６７１ or 4111\u200b1111\u200b1111\u200b1111!"
    found = flagged(text)
    assert found == [
        ("email", "jo\u200bhn@exa\u200bmple.com"),
        ("phone", "＋１ ４１５ ５５５ ２６７１"),
        ("payment_card", "4111\u200b1111\u200b1111\u200b1111"),
    ]
    assert "[EMAIL]" in redact(text, DETECTOR.find(text))


def test_other_scripts_digits_and_mixed_scripts() -> None:
    devanagari = "\u0967\u0968\u0969-\u096a\u096b-\u096c\u096d\u096e\u096f"  # 123-45-6789
    assert flagged(f"SSN {devanagari} ok") == [("national_id", devanagari)]
    assert flagged("Привет, пиши на ivan@example.ru 谢谢") == [("email", "ivan@example.ru")]


def test_normalized_map() -> None:
    assert normalize("plain ascii").starts == ()
    folded = normalize("a\u200b１\ufb01b")  # zero-width, full-width 1, the fi ligature
    assert folded.text == "a1fib"
    assert [folded.origin(i) for i in range(5)] == [0, 2, 3, 3, 4]
    assert folded.span(1, 4) == (2, 4)


def test_any_str_is_accepted() -> None:
    texts = ["", " ", "\ud800", "\udfff\ud800 4111 1111 1111 1111", "\x00" * 10, "🙂" * 50]
    batch = DETECTOR.score(texts)
    assert batch.scores.shape == (len(texts), len(LABELS))
    assert batch.scores.dtype == np.float32
    assert batch.spans is not None
    assert [s.label for s in batch.spans[3]] == ["payment_card"]
    assert len(DETECTOR.score([])) == 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "unit",
    ["1 ", "a@", "1.", "ab12:", "12 Main ", "+1 0", "1\u200b", "１", "Aaaa", "a.b@c.d "],
)
def test_a_megabyte_of_adversarial_text_finishes(unit: str) -> None:
    text = unit * (1_000_000 // len(unit))
    batch = DETECTOR.score([text])
    assert batch.spans is not None
    assert all(0 <= s.start < s.end <= len(text) for s in batch.spans[0])


def test_registered_and_a_detector() -> None:
    detector = load_detector("pii")
    assert isinstance(detector, Detector)
    assert detector.name == "bastion/pii"
    assert detector.labels == ("pii", *TYPES)
    assert set(detector.thresholds) == set(detector.labels)


def test_deterministic_and_thread_safe() -> None:
    examples = generate_examples(200, seed=5)
    texts = [e.text for e in examples]
    expected = DETECTOR.score(texts)
    results: list[tuple[tuple[Span, ...], ...] | None] = []

    def run() -> None:
        results.append(DETECTOR.score(texts).spans)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected.spans] * 4


def test_generated_set_gold_spans_and_scores() -> None:
    examples = generate_examples(600, seed=0)
    assert examples == generate_examples(600, seed=0)
    for example in examples:
        for span in example.spans:
            assert (
                example.text[span.start : span.end].strip() == example.text[span.start : span.end]
            )
    scores = evaluate_spans(DETECTOR, examples)
    assert set(scores) == {"pii", *TYPES}
    assert scores["pii"].exact.precision >= 0.98
    assert scores["pii"].overlap.recall >= 0.9
    assert scores["payment_card"].exact.recall == 1.0


def test_plant_pii_gold_spans() -> None:
    planted = plant_pii(["hello world", "", "one two three"], random.Random(0))
    for example in planted:
        (span,) = example.spans
        value = example.text[span.start : span.end]
        assert value and value == value.strip()
        assert span.start == 0 or example.text[span.start - 1] == " "


PIECES = st.sampled_from(
    [
        "4111 1111 1111 1111",
        "anna@example.org",
        "(415) 555-2671",
        "+49 30 901820",
        "123-45-6789",
        "AB 12 34 56 C",
        "12345678Z",
        "192.168.1.1",
        "2001:db8::8a2e:370:7334",
        "12 Main Street",
        "Hauptstraße 5",
        "\u200b",
        "１",
        "\ud800",
        "\ufb01",
        " ",
        "-",
        ".",
        ":",
        "@",
        "+",
        "7",
        ", ",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=14).map("".join)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(TEXTS)
def test_spans_are_in_bounds_sorted_and_disjoint(text: str) -> None:
    spans = DETECTOR.find(text)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert span.label in TYPES
        assert 0.0 < span.score <= 1.0
    for before, after in zip(spans, spans[1:], strict=False):
        assert before.end <= after.start


@PROPERTY
@given(TEXTS)
def test_redacted_text_has_no_pii_left(text: str) -> None:
    redacted = redact(text, DETECTOR.find(text))
    assert DETECTOR.find(redacted) == ()


@PROPERTY
@given(st.lists(st.text(), max_size=5))
def test_random_text_never_crashes(texts: list[str]) -> None:
    batch = DETECTOR.score(texts)
    assert len(batch) == len(texts)
    assert bool(((batch.scores >= 0) & (batch.scores <= 1)).all())


def test_planted_pii_in_real_tweets_is_found() -> None:
    path = shared_data("davidson-hate-offensive", "labeled_data.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        tweets = [row["tweet"] for row in csv.DictReader(handle)]
    sample = random.Random(0).sample(tweets, 2000)
    scores = evaluate_spans(DETECTOR, plant_pii(sample, random.Random(1)))
    # Measured on 10,000 tweets (models/pii.md): 0.955 overall overlap recall,
    # at least 0.90 per type but email (0.904) and street_address (0.899), both
    # missed on purpose in 10% of plants (obfuscated emails, addresses without
    # a suffix). Floors sit 3 standard errors (~0.05 at 330 plants a type) lower.
    assert scores["pii"].overlap.recall >= 0.92
    assert scores["pii"].overlap.precision >= 0.97
    for label in TYPES:
        assert scores[label].overlap.recall >= 0.84, label
