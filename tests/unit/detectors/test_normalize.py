"""normalize: idempotent, total, the same on its ASCII fast path, and undoes each obfuscation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.detectors import normalize
from bastion.detectors._normalize import _fold, safe_text

ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=80)
"""Every code point, lone surrogates included."""
OBFUSCATION_ALPHABET = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyz0134578@$!|+ .-_*'~/\\&;#x")
    + ["\u200b", "\u00ad", "\ufeff", "а", "е", "о", "ѕ", "ı", "ß", "æ", "ｈ", "𝐡", "é", "😂"]
    + ["http://x.y", "www.", "@user", "&amp;", "&#39;", "\u202e", "\ud800", "\x00", "\n"]
)
TRICKY = st.lists(OBFUSCATION_ALPHABET, max_size=40).map("".join)


@settings(max_examples=400)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_idempotent_and_total(text: str) -> None:
    once = normalize(text)
    assert isinstance(once, str)
    assert normalize(once) == once
    once.encode("utf-8")  # lone surrogates are gone


@settings(max_examples=300)
@given(st.text(st.characters(max_codepoint=127), max_size=80))
def test_ascii_fast_path_agrees_with_the_general_path(text: str) -> None:
    assert _fold(text) == text.lower()
    # A zero-width space sends the same text down the general path and is dropped there.
    assert normalize(text + "\u200b") == normalize(text)
    assert normalize("\u200b" + text) == normalize(text)


@pytest.mark.parametrize(
    ("obfuscated", "plain"),
    [
        ("i\u200bd\u200bi\u200bo\u200bt", "idiot"),  # zero-width spaces
        ("i\u00add\u2060i\ufeffo\u200dt", "idiot"),  # soft hyphen, word joiner, BOM, ZWJ
        ("\u202eidiot\u202c", "idiot"),  # direction override
        ("іdіоt", "idiot"),  # Cyrillic і, о
        ("ѕτυριd", "stupid"),  # Cyrillic ѕ, Greek τ υ ρ
        ("ＩＤＩＯＴ", "idiot"),  # full width
        ("𝐢𝐝𝐢𝐨𝐭", "idiot"),  # math bold
        ("𝓲𝓭𝓲𝓸𝓽", "idiot"),  # math script
        ("ídïôt", "idiot"),  # accents
        ("1d10t", "idiot"),  # leetspeak
        ("5tup1d", "stupid"),
        ("h@te", "hate"),
        ("i.d.i.o.t", "idiot"),  # spaced letters
        ("i d i o t", "idiot"),
        ("h-a-t-e you", "hate you"),
        ("haaaaate", "haate"),  # stretched: two letters kept
        ("you   are\n\tdumb", "you are dumb"),
        ("&lt;b&gt; &amp; it", "<b> & it"),
        ("see https://example.com/x?y=1 now", "see xurl now"),
        ("hi @someone_1 there", "hi xmention there"),
        ("STRASSE Straße", "strasse strasse"),
    ],
)
def test_obfuscations_map_to_the_plain_form(obfuscated: str, plain: str) -> None:
    assert normalize(obfuscated) == plain


@pytest.mark.parametrize(
    "kept",
    ["3rd place", "4k video", "mp3 file", "wow!!!", "$5 off", "covid19", "2024", "100%"],
)
def test_numbers_that_are_not_leetspeak_are_kept(kept: str) -> None:
    assert normalize(kept) == kept


def test_leetspeak_in_the_last_letter_is_undone() -> None:
    assert normalize("idio7 shi7 th3") == "idiot shit the"


def test_safe_text_replaces_lone_surrogates_only() -> None:
    assert safe_text("ok é") == "ok é"
    assert safe_text("a\ud800b") == "a?b"
    assert normalize("a\ud800b\udfff") == normalize("a?b?")
