"""Checksums and range rules that tell a real identifier from a look-alike number."""

from __future__ import annotations

# Issuer identification number (IIN) ranges per brand: (low, high, prefix length, lengths).
_IIN_RANGES: tuple[tuple[int, int, int, frozenset[int]], ...] = (
    (4, 4, 1, frozenset({13, 16, 19})),  # Visa
    (51, 55, 2, frozenset({16})),  # Mastercard
    (2221, 2720, 4, frozenset({16})),  # Mastercard 2-series
    (34, 34, 2, frozenset({15})),  # American Express
    (37, 37, 2, frozenset({15})),
    (300, 305, 3, frozenset({14, 16, 17, 18, 19})),  # Diners Club
    (36, 36, 2, frozenset({14, 16, 17, 18, 19})),
    (38, 39, 2, frozenset({14, 16, 17, 18, 19})),
    (6011, 6011, 4, frozenset({16, 17, 18, 19})),  # Discover
    (644, 649, 3, frozenset({16, 17, 18, 19})),
    (65, 65, 2, frozenset({16, 17, 18, 19})),
    (3528, 3589, 4, frozenset({16, 17, 18, 19})),  # JCB
    (62, 62, 2, frozenset({16, 17, 18, 19})),  # UnionPay
    (50, 50, 2, frozenset({13, 16, 17, 18, 19})),  # Maestro
    (56, 58, 2, frozenset({13, 16, 17, 18, 19})),
    (6304, 6304, 4, frozenset({16, 18, 19})),
    (6759, 6759, 4, frozenset({16, 18, 19})),
    (6761, 6763, 4, frozenset({16, 18, 19})),
    (2200, 2204, 4, frozenset({16, 17, 18, 19})),  # Mir
)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def luhn_ok(digits: str) -> bool:
    """Whether *digits* (ASCII digits only) pass the Luhn mod-10 check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def known_iin(digits: str) -> bool:
    """Whether a card number's prefix and length belong to a known card brand."""
    length = len(digits)
    for low, high, size, lengths in _IIN_RANGES:
        if length in lengths and low <= int(digits[:size]) <= high:
            return True
    return False


def card_ok(digits: str) -> bool:
    """A plausible payment card number: a known brand's prefix and length, Luhn-valid."""
    return 13 <= len(digits) <= 19 and known_iin(digits) and luhn_ok(digits)


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN range rules: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    return (
        area not in ("000", "666")
        and area[0] != "9"
        and group != "00"
        and serial != "0000"
        and (area, group, serial) != ("078", "05", "1120")  # the famous wallet-card SSN
    )


def nino_ok(prefix: str) -> bool:
    """UK National Insurance number prefix rules (the letter classes live in the pattern)."""
    return prefix not in _NINO_BAD_PREFIXES


def dni_letter(number: int) -> str:
    """The check letter of a Spanish DNI number (and of an NIE, X/Y/Z read as 0/1/2)."""
    return _DNI_LETTERS[number % 23]


def steuer_id_check_digit(digits: str) -> int:
    """The ISO 7064 MOD 11,10 check digit of the first ten digits of a German Steuer-ID."""
    product = 10
    for char in digits[:10]:
        total = (ord(char) - 48 + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def steuer_id_ok(digits: str) -> bool:
    """A German tax id (Steuer-ID): 11 digits, no leading 0, one digit 2-3 times, check digit."""
    if len(digits) != 11 or digits[0] == "0":
        return False
    counts = [digits[:10].count(d) for d in "0123456789"]
    repeated = [c for c in counts if c > 1]
    if len(repeated) != 1 or repeated[0] > 3:
        return False
    return steuer_id_check_digit(digits) == ord(digits[10]) - 48
