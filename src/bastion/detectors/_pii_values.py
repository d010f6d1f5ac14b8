"""Random PII values of every type, and look-alikes that are not PII, for evaluation sets.

Every value is made from a seeded :class:`random.Random`; none is a real
person's. Valid values follow the rules the detector checks (a Luhn check
digit and a real card prefix, SSN ranges, NINO prefixes, the Steuer-ID and
DNI check digits) and the look-alikes follow the rules of what they imitate
(ISBN check digits, dates, prices, versions), never the detector's output.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable

from bastion.detectors._pii_checks import dni_letter, luhn_ok, steuer_id_check_digit

FIRST = ("anna", "ben", "carla", "david", "emma", "felix", "grace", "hannah", "jonas", "liam")
LAST = ("schmidt", "miller", "jones", "weber", "smith", "fischer", "brown", "wagner", "patel")
DOMAINS = ("gmail.com", "web.de", "outlook.com", "example.org", "mail.co.uk", "uni-koeln.de")
EN_STREETS = ("Main", "Oak", "Maple", "Baker", "High", "Church", "Park", "Elm", "Mill", "Station")
EN_SUFFIXES = ("Street", "St", "Avenue", "Ave", "Road", "Rd", "Lane", "Blvd", "Drive", "Way")
EN_CITIES = (("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Denver", "CO"))
DE_STREETS = ("Haupt", "Linden", "Schiller", "Goethe", "Bahnhof", "Garten", "Kirch", "Wald")
DE_SUFFIXES = ("straße", "str.", "weg", "allee", "platz", "gasse")
HARD = 0.1
"""How often a value takes a form the detector is known to miss (obfuscated, no suffix ...)."""
DE_CITIES = (("10115", "Berlin"), ("50667", "Köln"), ("80331", "München"), ("20095", "Hamburg"))


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def email(rng: random.Random) -> str:
    """``anna.weber@web.de`` and similar."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if rng.random() < HARD:
        return f"{first}.{last} at {rng.choice(DOMAINS).replace('.', ' dot ')}"
    local = rng.choice(
        (f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}{rng.randrange(99)}")
    )
    return f"{local}@{rng.choice(DOMAINS)}"


def phone(rng: random.Random) -> str:
    """A phone number in a US, UK, DE, FR or IN format, national or international."""
    area, exchange = (
        f"{rng.randrange(2, 10)}{_digits(rng, 2)}",
        f"{rng.randrange(2, 10)}{_digits(rng, 2)}",
    )
    line = _digits(rng, 4)
    if rng.random() < HARD:
        return rng.choice(
            (f"{area}{exchange}{line}", f"1-800-{exchange}-{line}", f"{exchange}-{line}")
        )
    formats = (
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"{area}.{exchange}.{line}",
        f"+1 {area} {exchange} {line}",
        f"020 {_digits(rng, 4)} {_digits(rng, 4)}",
        f"07{_digits(rng, 3)} {_digits(rng, 6)}",
        f"+44 7{_digits(rng, 3)} {_digits(rng, 6)}",
        f"030 {_digits(rng, 6)}",
        f"0151 {_digits(rng, 8)}",
        f"089/{_digits(rng, 7)}",
        f"+49 30 {_digits(rng, 7)}",
        f"+49 15{_digits(rng, 1)} {_digits(rng, 8)}",
        "0{} {} {} {} {}".format(rng.randrange(1, 10), *(_digits(rng, 2) for _ in range(4))),
        "+33 {} {} {} {} {}".format(rng.randrange(1, 10), *(_digits(rng, 2) for _ in range(4))),
        f"+91 {rng.randrange(6, 10)}{_digits(rng, 4)} {_digits(rng, 5)}",
        f"{rng.randrange(6, 10)}{_digits(rng, 4)} {_digits(rng, 5)}",
    )
    return rng.choice(formats)


_CARD_PREFIXES = (("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15))
_CARD_PREFIXES_MORE = (("6011", 16), ("3530", 16), ("36", 14), ("62", 16), ("4", 19))


def _card_digits(rng: random.Random, *, valid: bool) -> str:
    prefix, length = rng.choice(_CARD_PREFIXES + _CARD_PREFIXES_MORE)
    body = prefix + _digits(rng, length - len(prefix) - 1)
    check = next(d for d in "0123456789" if luhn_ok(body + d))
    if not valid:
        check = rng.choice([d for d in "0123456789" if d != check])
    return body + check


def _group_card(rng: random.Random, digits: str) -> str:
    sep = rng.choice((" ", "-", ""))
    if len(digits) == 15:
        return sep.join((digits[:4], digits[4:10], digits[10:]))
    if len(digits) != 16:
        return digits
    return sep.join(digits[i : i + 4] for i in range(0, 16, 4))


def payment_card(rng: random.Random) -> str:
    """A Luhn-valid number with a real brand prefix, grouped or not."""
    return _group_card(rng, _card_digits(rng, valid=True))


def national_id(rng: random.Random) -> str:
    """A US SSN, UK NINO, German Steuer-ID or Spanish DNI/NIE, each valid by its rules."""
    kind = rng.randrange(5)
    if kind == 0:
        area = rng.choice([a for a in range(1, 900) if a != 666])
        return f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"
    if kind == 1:
        first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
        second = rng.choice([c for c in "ABCEGHJKLMNPRSTWXYZ" if first + c not in _BAD_NINO])
        pairs = " ".join(_digits(rng, 2) for _ in range(3))
        return f"{first}{second} {pairs} {rng.choice('ABCD')}"
    if kind == 2:
        digits = rng.sample("0123456789", 9)
        while digits[0] == "0":
            rng.shuffle(digits)
        digits.insert(rng.randrange(1, 10), rng.choice(digits))
        first10 = "".join(digits)
        full = first10 + str(steuer_id_check_digit(first10))
        return rng.choice((full, f"{full[:2]} {full[2:5]} {full[5:8]} {full[8:]}"))
    number = rng.randrange(10**7, 10**8)
    if kind == 3:
        return f"{number}{dni_letter(number)}"
    prefix = rng.randrange(3)
    seven = rng.randrange(10**7)
    return f"{'XYZ'[prefix]}{seven:07d}{dni_letter(prefix * 10**7 + seven)}"


_BAD_NINO = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def ip_address(rng: random.Random) -> str:
    """A public or private IPv4 address, or an IPv6 address in compressed form."""
    if rng.random() < 0.6:
        while True:
            octets = [
                rng.randrange(1, 224),
                rng.randrange(256),
                rng.randrange(256),
                rng.randrange(1, 255),
            ]
            v4 = ipaddress.IPv4Address(".".join(map(str, octets)))
            if not (v4.is_loopback or v4.is_reserved or v4.is_multicast):
                return str(v4)
    groups = [rng.randrange(0x2000, 0x3000)] + [rng.randrange(0x10000) for _ in range(7)]
    if rng.random() < 0.5:  # a run of zero groups, written as ::
        zeros = rng.randrange(2, 6)
        at = rng.randrange(2, 8 - zeros + 1)
        groups[at : at + zeros] = [0] * zeros
    return ipaddress.IPv6Address(":".join(f"{g:x}" for g in groups)).compressed


def street_address(rng: random.Random) -> str:
    """An English or German street address, sometimes with a unit, city and postcode."""
    if rng.random() < HARD:
        return rng.choice(
            (
                f"{rng.randrange(1, 300)} {rng.choice(EN_STREETS).lower()} st",
                f"Am {rng.choice(('Markt', 'Hang', 'Rathaus'))} {rng.randrange(1, 40)}",
            )
        )
    if rng.random() < 0.5:
        number = rng.randrange(1, 3000)
        text = f"{number} {rng.choice(EN_STREETS)} {rng.choice(EN_SUFFIXES)}"
        if rng.random() < 0.3:
            text += f", Apt {rng.randrange(1, 40)}{rng.choice('ABC')}"
        if rng.random() < 0.4:
            city, state = rng.choice(EN_CITIES)
            text += f", {city}, {state} {rng.randrange(10000, 99999)}"
        return text
    text = f"{rng.choice(DE_STREETS)}{rng.choice(DE_SUFFIXES)} {rng.randrange(1, 200)}"
    if rng.random() < 0.5:
        text = text.capitalize()
    if rng.random() < 0.4:
        text += ", {} {}".format(*rng.choice(DE_CITIES))
    return text


MAKERS: dict[str, Callable[[random.Random], str]] = {
    "email": email,
    "phone": phone,
    "payment_card": payment_card,
    "national_id": national_id,
    "ip_address": ip_address,
    "street_address": street_address,
}


def _isbn13(rng: random.Random) -> str:
    body = "978" + _digits(rng, 9)
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    digits = body + str(check)
    return rng.choice(
        (digits, f"{digits[:3]}-{digits[3]}-{digits[4:6]}-{digits[6:12]}-{digits[12]}")
    )


def near_miss(rng: random.Random) -> str:
    """Something that looks like PII and is not: an order number, version, date, price ..."""
    kinds = (
        lambda: f"#{rng.randrange(10**7, 10**9)}",
        lambda: f"{rng.randrange(100, 999)}-{_digits(rng, 7)}-{_digits(rng, 7)}",
        lambda: f"v{rng.randrange(10)}.{rng.randrange(30)}.{rng.randrange(30)}",
        lambda: "version " + ".".join(str(rng.randrange(1, 12)) for _ in range(4)),
        lambda: (
            f"{rng.randrange(1990, 2030)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        ),
        lambda: (
            f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.{rng.randrange(1990, 2030)}"
        ),
        lambda: (
            f"{rng.randrange(1, 13):02d}/{rng.randrange(1, 29):02d}/{rng.randrange(1990, 2030)}"
        ),
        lambda: f"${rng.randrange(1, 99)},{rng.randrange(1000):03d}.{rng.randrange(100):02d}",
        lambda: f"{rng.randrange(1, 9)}.{rng.randrange(1000):03d},{rng.randrange(100):02d} €",
        lambda: _group_card(rng, _card_digits(rng, valid=False)),
        lambda: _isbn13(rng),
        lambda: (
            f"1Z{_digits(rng, 3)}{rng.choice('ABCDEFGH')}{rng.choice('ABCDEFGH')}{_digits(rng, 11)}"
        ),
        lambda: " ".join(_digits(rng, 4) for _ in range(5)) + " " + _digits(rng, 2),
        lambda: f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
        lambda: f"{rng.randrange(2, 40)} {rng.choice(('people', 'Main Streets', 'dogs', 'km'))}",
        lambda: f"@{rng.choice(FIRST)}{rng.randrange(100)}",
    )
    return rng.choice(kinds)()
