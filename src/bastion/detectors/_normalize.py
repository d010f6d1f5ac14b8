"""Text normalisation that undoes common obfuscation before features are taken.

Evasion tricks that leave a text readable to people but change its bytes:
zero-width and other invisible characters, full-width and stylised letters
(``ｈａｔｅ``, ``𝐡𝐚𝐭𝐞``), homoglyphs from other scripts (Cyrillic ``а`` for
Latin ``a``), accents (``ídiot``), leetspeak (``1d10t``), letters spaced
apart (``i.d.i.o.t``, ``h a t e``) and stretched letters (``haaaate``).
:func:`normalize` maps all of them to one plain form, so that a detector
sees the same features for the plain and the obfuscated text.

Everything here is ``str.translate``, ``unicodedata`` and compiled regular
expressions: a few microseconds per short text, linear in the length.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Invisible characters: zero-width spaces and joiners, direction marks, word
# joiners, invisible operators, the BOM, soft hyphens, variation selectors, tags.
_INVISIBLE = (
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))
    + list(range(0xE0000, 0xE0080))
)
# Letters of other scripts that look like Latin ones (after casefolding).
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "һ": "h", "ӏ": "l", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ѵ": "v",
    # Latin look-alikes and IPA
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ʏ": "y", "ᴀ": "a", "ʙ": "b", "ᴄ": "c",
    "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l",
    "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v",
    "ᴡ": "w", "ᴢ": "z", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l",
}  # fmt: skip
_TABLE: dict[int, str | None] = {code: None for code in _INVISIBLE}
_TABLE.update({ord(k): v for k, v in _HOMOGLYPHS.items()})
# Combining marks left by NFKD (accents): dropped.
_TABLE.update({code: None for code in range(0x0300, 0x0370)})
_TABLE.update({code: None for code in range(0x1AB0, 0x1B00)})
_TABLE.update({code: None for code in range(0x1DC0, 0x1E00)})
_TABLE.update({code: None for code in range(0x20D0, 0x2100)})
_TABLE.update({code: None for code in range(0xFE20, 0xFE30)})

# Leetspeak, applied only inside words that also hold letters.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "8": "b", "9": "g", "@": "a", "$": "s", "!": "i", "|": "l",
                       "+": "t", "€": "e"})  # fmt: skip
_LEET_CHARS = "0134578@$!|+€9"
_LEET_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!|+€")
# Not leetspeak: ordinals and units ("3rd", "4k") and a few common names ("mp3").
_NOT_LEET = re.compile(
    r"\d+(?:st|nd|rd|th|s|k|m|g|x|px|am|pm|p|gb|mb|kg|km|h|d)"
    r"|mp3|mp4|p2p|b2b|b2c|h264|a4|a5|g5|ps4|ps5"
)
# A name with a version number ("win10", "covid19", "user123") has more letters
# than digits; "h035" and "wh173" have fewer.
_VERSIONED = re.compile(r"([a-z]+)(\d{2,})")
# A leet character inside a word ("h4te", "sh!t"), at its start ("1d10t") or
# digits at its end ("idio7"); not punctuation after a word ("wow!!!").
_HAS_LEET = re.compile(
    r"[a-z][0-9@$!|+€]+[a-z]|(?<![a-z0-9@$!|+€])[0-9@$!|+€]+[a-z]|[a-z][0-9]+(?![a-z0-9])"
)
# Three or more single letters separated by one non-letter each: "i.d.i.o.t".
_SPACED = re.compile(r"(?<![a-z])(?:[a-z][ .\-_*'~/\\]){2,}[a-z](?![a-z])")
_SPACED_SEPARATORS = re.compile(r"[ .\-_*'~/\\]")
_STRETCHED = re.compile(r"(\w)\1\1+")
# Runs of whitespace, or one whitespace character that is not a plain space.
_WHITESPACE = re.compile(r"\s\s+|[^\S ]")
# Addresses carry no meaning a detector should learn, only noise: one token each.
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w{1,30}")


def safe_text(text: str) -> str:
    """*text* with lone surrogates replaced, so it can always be encoded as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


# Anything the leet, whitespace, spaced-letter or stretched-letter steps would change.
_TRIGGER = re.compile(
    "|".join(
        f"(?:{pattern})"
        for pattern in (
            _HAS_LEET.pattern,
            _WHITESPACE.pattern,
            _SPACED.pattern,
            r"(?P<run>\w)(?P=run)(?P=run)",
        )
    )
)


def normalize(text: str) -> str:
    """The plain form of *text*: see the module docstring for what is undone.

    Idempotent: ``normalize(normalize(t)) == normalize(t)``.
    """
    out = _normalize_once(text)
    # The steps can feed each other ("0m a a": a unit, then spaced letters that
    # join into a word with a digit): repeat to a fixed point. A text in which
    # no step would find anything is at it already, which saves the second
    # pass for most texts.
    for _ in range(4):
        if not _may_change(out):
            break
        again = _normalize_once(out)
        if again == out:
            break
        out = again
    return out


def _may_change(text: str) -> bool:
    """Whether any step of :func:`_normalize_once` would find something in *text*."""
    return (
        "&" in text
        or "@" in text
        or "http" in text
        or "www." in text
        or _TRIGGER.search(text) is not None
    )


def _normalize_once(text: str) -> str:
    text = _lower(text)
    for _ in range(4):  # "&amp;lt;" is "<" after two rounds; "&eacute;" needs folding
        if "&" not in text:
            break
        unescaped = _lower(html.unescape(text))
        if unescaped == text:
            break
        text = unescaped
    if "http" in text or "www." in text:
        text = _URL.sub(" xurl ", text)
    if "@" in text:
        # A replacement can expose the next mention ("@a@b"): repeat until none is left.
        replaced = _MENTION.sub(_mention, text)
        while replaced != text:
            text, replaced = replaced, _MENTION.sub(_mention, replaced)
    text = _deleet_words(text)
    text = _WHITESPACE.sub(" ", text)
    if _SPACED.search(text):
        text = _SPACED.sub(_join_spaced, text)
    text = _STRETCHED.sub(_unstretch, text)
    return _WHITESPACE.sub(" ", text).strip()


def _lower(text: str) -> str:
    return text.lower() if text.isascii() else _fold(safe_text(text))


def _fold(text: str) -> str:
    # Casefolding and NFKD can each expose more of the other's input (a
    # stylised capital folds to a letter that decomposes): repeat to a fixed point.
    for _ in range(4):
        folded = unicodedata.normalize("NFKD", text).casefold().translate(_TABLE)
        if folded == text:
            break
        text = folded
    return text


def _mention(match: re.Match[str]) -> str:
    """A mention is an ``@`` that does not follow a word character (not an email)."""
    start = match.start()
    before = match.string[start - 1] if start else " "
    return match.group(0) if before.isalnum() or before in "_@" else " xmention "


def _deleet_words(text: str) -> str:
    """Undo leetspeak in every word that mixes letters with leet characters.

    Only the few places where a letter touches a leet character are visited;
    each is widened to its word.
    """
    pieces: list[str] = []
    last = 0
    for match in _HAS_LEET.finditer(text):
        if match.start() < last:
            continue
        start, end = match.start(), match.end()
        while start > 0 and text[start - 1] in _LEET_WORD_CHARS:
            start -= 1
        while end < len(text) and text[end] in _LEET_WORD_CHARS:
            end += 1
        pieces.append(text[last:start])
        pieces.append(_deleet(text[start:end]))
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _deleet(word: str) -> str:
    # Punctuation around a word ("wow!!!", "$5") is not leetspeak; nor are
    # ordinals, units and names with a number at the end ("3rd", "4k", "mp3").
    core = word.strip("!|+$")
    start = word.index(core)
    # Judge the word as it will read once stretched letters are cut to two.
    core = _STRETCHED.sub(_unstretch, core)
    if not core or _NOT_LEET.fullmatch(core) or not any(c in _LEET_CHARS for c in core):
        return word
    versioned = _VERSIONED.fullmatch(core)
    if versioned and len(versioned.group(1)) > len(versioned.group(2)):
        return word
    end = len(word) - len(word.rstrip("!|+$"))
    return word[:start] + core.translate(_LEET) + word[len(word) - end :]


def _unstretch(match: re.Match[str]) -> str:
    run = match.group(0)
    return run if run[0].isdigit() or run[0] == "_" else run[:2]


def _join_spaced(match: re.Match[str]) -> str:
    return _SPACED_SEPARATORS.sub("", match.group(0))
