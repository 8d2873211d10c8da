"""Taiwanese national IDs (身分證字號) and resident certificate numbers (居留證號).

Pure rules: checksum, normalisation, masking and the keyed hash used to match
imports. The number itself is personal data: nothing here ever puts it in an
exception message, and the rest of the service stores only `mask()` and `keyed_hash()`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# The official letter codes: not alphabetical (I, O, W… were added later).
LETTER_CODES: dict[str, int] = {
    "A": 10,
    "B": 11,
    "C": 12,
    "D": 13,
    "E": 14,
    "F": 15,
    "G": 16,
    "H": 17,
    "I": 34,
    "J": 18,
    "K": 19,
    "L": 20,
    "M": 21,
    "N": 22,
    "O": 35,
    "P": 23,
    "Q": 24,
    "R": 25,
    "S": 26,
    "T": 27,
    "U": 28,
    "V": 29,
    "W": 32,
    "X": 30,
    "Y": 31,
    "Z": 33,
}
WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)

# Citizens: second digit 1 (male) or 2 (female). Resident certificates issued
# since 2021 use 8 or 9 there and the same checksum.
CITIZEN_DIGITS = "12"
RESIDENT_DIGITS = "89"
# Resident certificates issued before 2021: a second letter A–D in place of the digit.
LEGACY_RESIDENT_LETTERS = "ABCD"

_SHAPE = re.compile(r"^[A-Z][A-Z0-9]\d{8}$")


class InvalidNationalId(ValueError):
    """Carries a reason only, never the number."""


def normalise(value: str) -> str:
    """Upper-case without surrounding blanks: the form that is hashed and masked."""
    return value.strip().upper()


def _check_digit_sum(letter: str, second: int, digits: str) -> int:
    code = LETTER_CODES[letter]
    parts = (code // 10, code % 10, second, *(int(d) for d in digits))
    return sum(w * p for w, p in zip(WEIGHTS, parts, strict=True))


def validate(value: str) -> str:
    """The normalised number, or InvalidNationalId with a reason that omits it."""
    number = normalise(value)
    if len(number) != 10:
        raise InvalidNationalId("must be 10 characters: a letter then 9 digits")
    if not number[0].isascii() or not number[0].isalpha():
        raise InvalidNationalId("must start with a letter A-Z")
    if not _SHAPE.match(number):
        raise InvalidNationalId("must be a letter then 9 digits")
    second_char = number[1]
    if second_char.isdigit():
        if second_char not in CITIZEN_DIGITS + RESIDENT_DIGITS:
            raise InvalidNationalId("second character must be 1, 2, 8 or 9")
        second = int(second_char)
    elif second_char in LEGACY_RESIDENT_LETTERS:
        second = LETTER_CODES[second_char] % 10
    else:
        raise InvalidNationalId("second character must be 1, 2, 8 or 9")
    if _check_digit_sum(number[0], second, number[2:]) % 10 != 0:
        raise InvalidNationalId("invalid checksum")
    return number


def is_valid(value: str) -> bool:
    try:
        validate(value)
    except InvalidNationalId:
        return False
    return True


def with_check_digit(first_nine: str) -> str:
    """Complete a letter + 8 digits with the digit that makes the checksum hold
    (used to build fake but valid numbers for demos and tests)."""
    stem = normalise(first_nine)
    if not re.fullmatch(r"[A-Z][1289]\d{7}", stem):
        raise ValueError("expected a letter then 8 digits")
    partial = _check_digit_sum(stem[0], int(stem[1]), stem[2:] + "0")
    return stem + str((10 - partial % 10) % 10)


def mask(number: str) -> str:
    """'A123456789' → 'A12****789': enough for a person to recognise their own."""
    n = normalise(number)
    return f"{n[:3]}****{n[-3:]}"


def keyed_hash(number: str, key: str) -> str:
    """HMAC-SHA256 (hex) of the normalised number: equal numbers match across
    imports, yet the table alone cannot be reversed by enumerating the ID space."""
    return hmac.new(key.encode(), normalise(number).encode(), hashlib.sha256).hexdigest()


def protected_forms(number: str, key: str) -> tuple[str, str]:
    """What may be stored of a valid number: (keyed hash, masked form)."""
    valid = validate(number)
    return keyed_hash(valid, key), mask(valid)
