"""National IDs: official checksum, masking, keyed hash; the number never leaks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.directory.domain import national_id
from services.directory.domain.national_id import LETTER_CODES, InvalidNationalId

KEY = "a-test-key-of-sufficient-length"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("A123456789", True),  # the textbook example
        ("A223456781", True),
        ("A223456789", False),  # gender digit changed, checksum not recomputed
        ("A123456788", False),  # bad checksum
        ("F131104093", True),
        ("Z123456780", True),
        ("Z123456789", False),
        ("a123456789", True),  # lower case is normalised, not refused
        (" A123456789 ", True),  # surrounding blanks too
        ("1123456789", False),  # no letter
        ("@123456789", False),  # not a letter A-Z
        ("Ä123456789", False),  # not an ASCII letter
        ("A323456789", False),  # second digit must be 1, 2, 8 or 9
        ("A12345678", False),  # too short
        ("A1234567890", False),  # too long
        ("A12345678X", False),
        ("A800000014", True),  # new-format resident certificate (8)
        ("A800000015", False),
        ("A900000000", False),
        ("A900000016", True),  # new-format resident certificate (9)
        ("AC01234567", True),  # pre-2021 resident certificate: two letters
        ("AE01234567", False),  # only A-D may follow the first letter
        ("", False),
    ],
)
def test_checksum_table(value, valid):
    assert national_id.is_valid(value) is valid


def test_the_reason_never_contains_the_number():
    for bad in ("A123456788", "A323456789", "1123456789", "A12345"):
        with pytest.raises(InvalidNationalId) as exc:
            national_id.validate(bad)
        assert bad not in str(exc.value)
        assert bad[1:] not in str(exc.value)


letters = st.sampled_from(sorted(LETTER_CODES))
second = st.sampled_from("1289")
digits7 = st.text(alphabet="0123456789", min_size=7, max_size=7)


@st.composite
def valid_ids(draw):
    return national_id.with_check_digit(draw(letters) + draw(second) + draw(digits7))


@given(valid_ids())
def test_generated_ids_pass(number):
    assert national_id.validate(number) == number


# Weight of each character position 1..9 in the checksum.
POSITION_WEIGHTS = dict(enumerate(national_id.WEIGHTS[2:], start=1))


@given(valid_ids(), st.sampled_from([2, 6, 8, 9]), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_fails(number, position, delta):
    # At the positions weighted 7, 3, 1 and 1 every change of one digit is
    # caught: those weights are coprime with 10.
    changed_digit = str((int(number[position]) + delta) % 10)
    changed = number[:position] + changed_digit + number[position + 1 :]
    assert not national_id.is_valid(changed)


@given(valid_ids(), st.integers(min_value=2, max_value=9), st.integers(min_value=1, max_value=9))
def test_single_digit_changes_are_caught_exactly_when_the_checksum_can(number, position, delta):
    # The official weights include 8, 6, 5, 4 and 2, so a few changes (e.g. +2 at
    # a weight-5 position) keep the sum's last digit: the checksum cannot see them.
    changed_digit = str((int(number[position]) + delta) % 10)
    changed = number[:position] + changed_digit + number[position + 1 :]
    undetectable = (POSITION_WEIGHTS[position] * delta) % 10 == 0
    assert national_id.is_valid(changed) is undetectable


@given(valid_ids(), st.integers(min_value=1, max_value=9))
def test_changing_the_second_digit_fails(number, delta):
    changed = number[0] + str((int(number[1]) + delta) % 10) + number[2:]
    assert not national_id.is_valid(changed)


def test_mask_keeps_three_and_three():
    assert national_id.mask("A123456789") == "A12****789"
    assert national_id.mask("a123456789") == "A12****789"


def test_keyed_hash_is_deterministic_and_key_dependent():
    one = national_id.keyed_hash("A123456789", KEY)
    assert one == national_id.keyed_hash("A123456789", KEY)
    assert one == national_id.keyed_hash(" a123456789", KEY)  # the normalised form is hashed
    assert one != national_id.keyed_hash("A123456789", KEY + "-other")
    assert one != national_id.keyed_hash("F131104093", KEY)
    assert len(one) == 64 and "A123456789" not in one


def test_protected_forms_refuse_invalid_numbers():
    with pytest.raises(InvalidNationalId):
        national_id.protected_forms("A123456788", KEY)
    digest, masked = national_id.protected_forms("A123456789", KEY)
    assert masked == "A12****789" and digest == national_id.keyed_hash("A123456789", KEY)
