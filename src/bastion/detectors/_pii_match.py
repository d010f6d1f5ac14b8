"""PII patterns: where each kind of PII may be in a normalised text, and how sure a match is.

Every pattern is linear-time on any input: matches are anchored by a
look-behind that refuses to start inside a word or number (so a failed
attempt is never retried one character later), every repetition is bounded
and the ambiguous ones are possessive. A regex proposes; a validator (Luhn
and card prefixes, SSN ranges, check letters and digits, ``ipaddress``)
decides; the score says how distinctive the format is. See the model card
``models/pii.md`` for the measured precision and recall per type.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator

from bastion.detectors._pii_checks import (
    card_ok,
    dni_letter,
    nino_ok,
    ssn_ok,
    steuer_id_ok,
)

Candidate = tuple[int, int, str, float]
"""``(start, end, label, score)`` in the normalised text."""

_END = r"(?![\w])(?![.,\-/]\d)"  # not followed by a word or by more of a number
_NUMBER_BEFORE = re.compile(r"(?:^|\s)\d[\d.\-]* $")
_NUMBER_AFTER = re.compile(r" \d[\d.\-]*(?:\s|$)")
_START = r"(?<![\w+#@])(?<![\d][.,\-/])"  # not inside a word or a number

_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?){0,8}\.[A-Za-z]{2,24}(?![\w\-])"
)

_PHONE_INTL = re.compile(
    # A "+" opens a number even right after a digit (a glued neighbour); "00" does not.
    r"(?:(?<![+#@])(?P<plus>\+)|" + _START + r"00)"
    r"[1-9](?:[ .\-]?(?:\(0\) ?)?\(?\d{1,6}+\)?){1,7}+" + _END
)
_PHONE_US = re.compile(
    r"(?:(?<![(+#@])\((?P<a1>[2-9]\d\d)\) ?|"
    + _START
    + r"(?:1[ .\-](?:\((?P<b1>[2-9]\d\d)\) ?|(?P<b2>[2-9]\d\d)(?P<u>[ .\-]))"
    + r"|(?P<a2>[2-9]\d\d)(?P<s>[ .\-])))"
    + r"[2-9]\d\d(?P<t>[ .\-])\d{4}"
    + _END
)
_PHONE_BARE10 = re.compile(_START + r"(?:[2-9]\d\d[2-9]\d{6}|[6-9]\d{9})" + _END)
_PHONE_UK = re.compile(
    _START + r"0(?:\d{2}(?P<s1> ?)\d{4}(?P=s1)\d{4}|\d{3}(?P<s2> ?)\d{3}(?P=s2)\d{4}"
    r"|\d{4}(?P<s3> ?)\d{6}|\d{4} \d{3} \d{3})" + _END
)
_PHONE_DE = re.compile(_START + r"0[1-9]\d{1,4}(?: ?/ ?| |-)\d{3,8}(?:[ \-]\d{1,5})?" + _END)
_PHONE_FR = re.compile(_START + r"0[1-9](?P<s>[ .\-]?)\d\d(?:(?P=s)\d\d){3}" + _END)
_PHONE_IN = re.compile(_START + r"0?[6-9]\d{4}[ \-]\d{5}" + _END)
_PHONE_CONTEXT = re.compile(
    r"(?i)(?:phone|tel\b|tel\.|call|mobile|cell|text|whats ?app|sms|fax|ring|handy|telefon"
    r"|anruf|ruf |mob\b|ph\b|ph\.|contact|number|nummer|reach|dial|hotline|tél)"
)

_CARD = re.compile(
    r"(?<![\w.\-+#@])(?:\d{13,19}|\d{4}(?P<s>[ \-])\d{4}(?P=s)\d{4}(?P=s)\d{4}(?:(?P=s)\d{1,3})?"
    r"|\d{4}(?P<a>[ \-])\d{6}(?P=a)\d{4,5})" + _END
)

_SSN = re.compile(r"(?<![\w+.\-#@])(?P<a>\d{3})(?P<s>[ \-]?)(?P<g>\d{2})(?P=s)(?P<n>\d{4})" + _END)
_SSN_CONTEXT = re.compile(r"(?i)(?:ssn|social security|soc\.? ?sec)")
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?P<p>[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
    r"(?P<s> ?)\d{2}(?P=s)\d{2}(?P=s)\d{2}(?P=s)[A-D](?![A-Za-z0-9])"
)
_STEUER_ID = re.compile(r"(?<![\w+.\-#@])[1-9]\d(?P<s> ?)\d{3}(?P=s)\d{3}(?P=s)\d{3}" + _END)
_STEUER_CONTEXT = re.compile(r"(?i)(?:steuer|idnr|identifikationsnummer|tax ?id|\btin\b)")
_DNI = re.compile(
    r"(?<![\w+.\-#@])(?:(?P<x>[XYZ])-?(?P<n7>\d{7})|(?P<n8>\d{8}))-?(?P<l>[A-Z])(?!\w)"
)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.\-])(?:{_OCTET}\.){{3}}{_OCTET}(?!\w)(?!\.\d)")
_IPV6 = re.compile(
    rf"(?<![\w.])(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}+(?:{_OCTET}(?:\.{_OCTET}){{3}}|[0-9A-Fa-f]{{1,4}})?"
    r"(?![\w:])"
)
_IP_CONTEXT = re.compile(r"(?i)(?:\bip\b|address|server|host|ping|router|gateway|dns|adresse)")
_VERSION_CONTEXT = re.compile(r"(?i)(?:version|\bver\b|release|build|firmware|\bv\.?\s*$)")

_NAME = r"(?:[A-Z][a-z'\-]{1,20}\.?|[A-Z]{1,3}\.?|\d{1,3}(?:st|nd|rd|th))"
_EN_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Place|Pl"
    r"|Terrace|Way|Close|Crescent|Cres|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir"
    r"|Trail|Row|Mews|Gardens|Grove)"
)
_EN_TAIL = (
    r"(?P<unit>,? {1,2}(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|#)\.? ?#?"
    r"[A-Za-z0-9\-]{1,6}(?!\w))?"
    r"(?P<place>(?>, ?[A-Z][a-z]{1,20}(?: [A-Z][a-z]{1,20}){0,2}"
    r"(?P<code>(?:,? [A-Z]{2}(?!\w))?(?:,? (?:\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})"
    r"(?!\w))?)))?"
)
_ADDRESS_EN = re.compile(
    rf"(?<![\w.,\-#])\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})? {{1,2}}(?:{_NAME} ){{0,3}}{_NAME} "
    rf"{_EN_SUFFIX}\b\.?(?: (?:[NS][EW]?|[EW])\b\.?)?{_EN_TAIL}"
)
_DE_WORD = r"[A-ZÄÖÜ][a-zäöüß]{1,25}"
_ADDRESS_DE = re.compile(
    rf"(?<![\w\-])(?:{_DE_WORD}(?:-[A-ZÄÖÜ]?[a-zäöüß]{{1,25}}){{0,3}}"
    r"(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig|pfad)"
    rf"|(?:{_DE_WORD}[ \-]){{1,2}}(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm"
    r"|Ufer|Chaussee)) {1,2}\d{1,4}[a-zA-Z]?(?: ?[\-/] ?\d{1,4}[a-z]?)?(?!\w)"
    rf"(?P<place>,? {{1,2}}\d{{5}} (?:Bad )?{_DE_WORD}(?:-{_DE_WORD}|"
    rf" (?:am|an der|im|ob der) {_DE_WORD}){{0,2}})?"
)
_ADDRESS_FR = re.compile(
    r"(?<![\w.,\-])\d{1,4}(?: ?(?:bis|ter))?,? {1,2}(?:rue|avenue|boulevard|bd|place|allée|chemin"
    r"|impasse|quai|cours) (?:(?:de|du|des|la|le)\s|[ld]')?(?:(?:de|du|des|la|le)\s|[ld]')?"
    r"[A-ZÉÈ][\w'\-]{1,25}(?: [A-ZÉÈ][\w'\-]{1,25}){0,2}"
)


def _digits(text: str) -> str:
    return "".join(c for c in text if "0" <= c <= "9")


def _runs_on(text: str, m: re.Match[str]) -> bool:
    """Whether a space-separated match is one piece of a longer run of digit groups.

    ``7551 9610 2098 4536 3522 72`` (a tracking number) holds a valid-looking
    card number; a match counts as a piece when a bare number is its neighbour.
    """
    if " " not in m.group():
        return False
    start, end = m.span()
    before = text[max(0, start - 12) : start]
    after = text[end : end + 12]
    return bool(
        (before.endswith(" ") and _NUMBER_BEFORE.search(before))
        or (after.startswith(" ") and _NUMBER_AFTER.match(after))
    )


def _context(pattern: re.Pattern[str], text: str, start: int, width: int = 32) -> bool:
    return pattern.search(text, max(0, start - width), start) is not None


def _emails(text: str) -> Iterator[Candidate]:
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "email", 0.99


def _phone_score(text: str, m: re.Match[str], base: float) -> float:
    if base < 0.9 and _context(_PHONE_CONTEXT, text, m.start()):
        return min(0.95, base + 0.35)
    return base


def _phones(text: str) -> Iterator[Candidate]:
    for m in _PHONE_INTL.finditer(text):
        if _runs_on(text, m):
            continue
        count = len(_digits(m.group())) - (0 if m["plus"] else 2)
        if 8 <= count <= 15:
            spaced = any(c in m.group() for c in " .-()")
            base = (0.95 if spaced else 0.9) if m["plus"] else (0.8 if spaced else 0.5)
            yield m.start(), m.end(), "phone", _phone_score(text, m, base)
    for m in _PHONE_US.finditer(text):
        paren = m["a1"] or m["b1"]
        if (paren or m["t"] in (m["s"], m["u"])) and not _runs_on(text, m):
            yield m.start(), m.end(), "phone", 0.95 if paren else 0.9
    for pattern, grouped, bare in (
        (_PHONE_UK, 0.85, 0.55),
        (_PHONE_FR, 0.9, 0.45),
        (_PHONE_DE, 0.8, 0.8),
        (_PHONE_IN, 0.75, 0.75),
        (_PHONE_BARE10, 0.45, 0.45),
    ):
        for m in pattern.finditer(text):
            found = m.group()
            if _runs_on(text, m) or (pattern is _PHONE_DE and len(_digits(found)) < 8):
                continue
            base = bare if found.isdigit() else grouped
            yield m.start(), m.end(), "phone", _phone_score(text, m, base)


def _cards(text: str) -> Iterator[Candidate]:
    for m in _CARD.finditer(text):
        if card_ok(_digits(m.group())) and not _runs_on(text, m):
            yield m.start(), m.end(), "payment_card", 0.99


def _national_ids(text: str) -> Iterator[Candidate]:
    for m in _SSN.finditer(text):
        if ssn_ok(m["a"], m["g"], m["n"]) and not _runs_on(text, m):
            score = {"-": 0.9, " ": 0.75}.get(m["s"], 0.35)
            if _context(_SSN_CONTEXT, text, m.start()):
                score = 0.95
            yield m.start(), m.end(), "national_id", score
    for m in _NINO.finditer(text):
        if nino_ok(m["p"]):
            yield m.start(), m.end(), "national_id", 0.9
    for m in _STEUER_ID.finditer(text):
        if steuer_id_ok(_digits(m.group())) and not _runs_on(text, m):
            score = 0.85 if m["s"] else 0.6
            if _context(_STEUER_CONTEXT, text, m.start()):
                score = 0.95
            yield m.start(), m.end(), "national_id", score
    for m in _DNI.finditer(text):
        number = int(m["n8"]) if m["n8"] else int("XYZ".index(m["x"]) * 10**7 + int(m["n7"]))
        if dni_letter(number) == m["l"]:
            yield m.start(), m.end(), "national_id", 0.95


def _ipv4s(text: str) -> Iterator[Candidate]:
    for m in _IPV4.finditer(text):
        if _context(_VERSION_CONTEXT, text, m.start(), 16):
            continue
        address = ipaddress.IPv4Address(m.group())
        if address.is_loopback or address.is_unspecified or address.is_multicast:
            continue
        if address.is_reserved or m.group() == "255.255.255.255":
            continue
        score = 0.9
        if all(len(octet) == 1 for octet in m.group().split(".")):
            # 1.2.3.4 is as often a section or version number as an address.
            score = 0.9 if _context(_IP_CONTEXT, text, m.start()) else 0.45
        yield m.start(), m.end(), "ip_address", score


def _ipv6s(text: str) -> Iterator[Candidate]:
    for m in _IPV6.finditer(text):
        found = m.group()
        if sum(1 for group in found.split(":") if group) < 2 or sum(map(str.isalnum, found)) < 6:
            continue
        try:
            address = ipaddress.IPv6Address(found)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_unspecified):
            yield m.start(), m.end(), "ip_address", 0.9


def _addresses(text: str) -> Iterator[Candidate]:
    for m in _ADDRESS_EN.finditer(text):
        end = m.end()
        if m["place"] and not m["code"]:
            end = m.start("place")  # ", Then we ..." is a clause: a city needs a state or code
        whole = bool(m["unit"]) or end == m.end() and m["place"] is not None
        yield m.start(), end, "street_address", 0.95 if whole else 0.85
    for m in _ADDRESS_DE.finditer(text):
        yield m.start(), m.end(), "street_address", 0.95 if m["place"] else 0.85
    for m in _ADDRESS_FR.finditer(text):
        yield m.start(), m.end(), "street_address", 0.85


def _count_digits(text: str) -> int:
    return sum(map(text.count, "0123456789"))


def candidates(text: str) -> list[Candidate]:
    """Every PII match in a normalised *text*, overlapping ones included.

    Cheap pre-checks skip whole families: the number patterns need 7 digits,
    IPv4 needs 4 digits and a dot, IPv6 two colons, email an ``@``.
    """
    found: list[Candidate] = []
    if "@" in text:
        found.extend(_emails(text))
    digits = _count_digits(text)
    finders: list[Callable[[str], Iterator[Candidate]]] = []
    if digits >= 7:
        finders += (_phones, _cards)
    if digits >= 6:
        finders.append(_national_ids)
    if digits >= 4 and "." in text:
        finders.append(_ipv4s)
    if text.count(":") >= 2:
        finders.append(_ipv6s)
    if digits:
        finders.append(_addresses)
    for finder in finders:
        found.extend(finder(text))
    return found
