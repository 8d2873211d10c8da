"""Reading a catalogue level, written in the issuer's words, as the rules' three
levels: every level the seed catalogue uses, and properties of any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.certs.domain.levels import LEVEL_WORDS, level_of
from services.certs.domain.talent import Level


@pytest.mark.parametrize(
    "written, level",
    [
        # The seed catalogue (migration c3d0c0000003), row by row.
        ("core (no coding)", Level.BASIC),
        ("planning and supervision", Level.INTERMEDIATE),
        ("intermediate (中級)", Level.INTERMEDIATE),
        ("office application (no coding)", Level.BASIC),
        ("fundamentals", Level.BASIC),
        ("foundational", Level.BASIC),
        ("associate", Level.INTERMEDIATE),
        ("professional", Level.ADVANCED),
        ("professional (TQC+)", Level.ADVANCED),
        # Chinese only, and case.
        ("中級", Level.INTERMEDIATE),
        ("高級", Level.ADVANCED),
        ("初級", Level.BASIC),
        ("PROFESSIONAL", Level.ADVANCED),
        ("Advanced", Level.ADVANCED),
        ("", Level.BASIC),
    ],
)
def test_the_catalogues_levels(written: str, level: Level) -> None:
    assert level_of(written) is level


@given(
    st.sampled_from([(level, word) for level, words in LEVEL_WORDS for word in words]),
    st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_each_groups_word_reads_as_its_level_in_any_case(
    pair: tuple[Level, str], upper: list[bool]
) -> None:
    level, word = pair
    written = "".join(
        c.upper() if u else c for c, u in zip(word, upper + [False] * len(word), strict=False)
    )
    assert level_of(f"({written}) level") is level


@given(st.text(max_size=30), st.text(max_size=30))
def test_an_advanced_word_anywhere_is_advanced(before: str, after: str) -> None:
    assert level_of(f"{before}professional{after}") is Level.ADVANCED


@given(st.text(alphabet=st.characters(whitelist_categories=("Nd", "Zs", "Po")), max_size=20))
def test_text_naming_no_group_is_never_ranked_above_basic(text: str) -> None:
    words = [w for _, names in LEVEL_WORDS for w in names]
    if not any(w in text.casefold() for w in words):
        assert level_of(text) is Level.BASIC
