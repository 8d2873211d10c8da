"""Pure staffing rules: the default rank read from the catalogue's words,
validity on a day, the versions a certificate filter stands for, and the team proposal."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.certs.domain import team
from services.certs.domain.levels import level_of
from services.certs.domain.staffing import VersionFacts, last_valid_day, matching_versions, valid_on
from services.certs.domain.talent import Level


@pytest.mark.parametrize(
    ("words", "level"),
    [
        ("professional", Level.ADVANCED),
        ("Professional (TQC+)", Level.ADVANCED),
        ("高級", Level.ADVANCED),
        ("intermediate (中級)", Level.INTERMEDIATE),
        ("associate", Level.INTERMEDIATE),
        ("中級", Level.INTERMEDIATE),
        ("fundamentals", Level.BASIC),
        ("foundational", Level.BASIC),
        ("core (no coding)", Level.BASIC),
        ("", Level.BASIC),
    ],
)
def test_levels_are_read_from_the_catalogues_words(words: str, level: Level) -> None:
    assert level_of(words) is level


@pytest.mark.parametrize(
    ("state", "obtained", "expires", "day", "valid"),
    [
        ("verified", date(2024, 2, 29), None, date(2024, 2, 29), True),
        ("verified", date(2024, 2, 29), None, date(2024, 2, 28), False),
        # Obtained 2024-02-29 for 12 months lapses 2025-02-28: valid the day before.
        ("verified", date(2024, 2, 29), date(2025, 2, 28), date(2025, 2, 27), True),
        ("verified", date(2024, 2, 29), date(2025, 2, 28), date(2025, 2, 28), False),
        ("expired", date(2025, 1, 1), date(2026, 1, 1), date(2025, 12, 31), True),
        ("expired", date(2025, 1, 1), date(2026, 1, 1), date(2026, 1, 1), False),
        ("submitted", date(2025, 1, 1), None, date(2026, 1, 1), False),
        ("revoked", date(2025, 1, 1), None, date(2026, 1, 1), False),
        ("rejected", date(2025, 1, 1), None, date(2026, 1, 1), False),
    ],
)
def test_valid_on_a_day(state, obtained, expires, day, valid) -> None:
    assert valid_on(state, obtained, expires, day) is valid


def test_last_valid_day_is_the_day_before_the_lapse() -> None:
    assert last_valid_day(date(2027, 1, 1)) == date(2026, 12, 31)
    assert last_valid_day(None) is None


VERSIONS = [
    VersionFacts(1, "a", "tool", Level.BASIC, ("application",)),
    VersionFacts(2, "b", "tool", Level.INTERMEDIATE, ("policy",)),
    VersionFacts(3, "c", "project_technical", Level.ADVANCED, ("development",)),
    VersionFacts(4, "a", "tool", Level.INTERMEDIATE, ("application",)),  # a's next version
]


@pytest.mark.parametrize(
    ("asked", "ids"),
    [
        ({}, None),
        ({"kinds": frozenset({"tool"})}, {1, 2, 4}),
        ({"codes": frozenset({"a"})}, {1, 4}),
        ({"min_level": Level.INTERMEDIATE}, {2, 3, 4}),
        ({"kinds": frozenset({"tool"}), "min_level": Level.ADVANCED}, set()),
        ({"role": "development"}, {3}),
        ({"codes": frozenset({"a"}), "min_level": Level.INTERMEDIATE}, {4}),
    ],
)
def test_certificate_filters_become_the_versions_meeting_all(asked, ids) -> None:
    got = matching_versions(VERSIONS, **asked)
    assert got == (None if ids is None else frozenset(ids))


def c(pid: str, level: int = 0, n: int = 0, centi: int = 0, agency: str = "A01") -> team.Candidate:
    return team.Candidate(
        person_id=pid,
        agency_code=agency,
        unit_id="",
        role_certificates=tuple(f"x{i}" for i in range(n)),
        best_level=Level(level) if level else None,
        ai_centi=centi,
    )


def test_rank_by_level_then_count_then_hours_then_person() -> None:
    pool = [c("E"), c("D", 1, 1, 900), c("C", 1, 2), c("B", 3, 1), c("A", 1, 1, 900), c("F", 1, 1)]
    assert [x.person_id for x in team.rank(pool)] == ["B", "C", "A", "D", "F", "E"]


@pytest.mark.parametrize(
    ("slots", "pools", "repeats", "placed", "shortfalls"),
    [
        # One person in two roles goes to the scarcer slot, filled first.
        (
            [("application", 1), ("policy", 1)],
            {"application": [c("X", 3), c("Y", 1)], "policy": [c("X", 3)]},
            False,
            [["Y"], ["X"]],
            [0, 0],
        ),
        # Not enough: the slot says how many seats are empty.
        (
            [("development", 2)],
            {"development": [c("X")]},
            False,
            [["X"]],
            [1],
        ),
        # Nobody holds the role.
        ([("research", 1)], {}, False, [[]], [1]),
        # Two slots of one role share its pool without placing anyone twice.
        (
            [("development", 1), ("development", 1)],
            {"development": [c("A", 2), c("B", 1)]},
            False,
            [["A"], ["B"]],
            [0, 0],
        ),
        # Repeats allowed: the best is placed in both.
        (
            [("application", 1), ("policy", 1)],
            {"application": [c("X", 3), c("Y", 1)], "policy": [c("X", 3)]},
            True,
            [["X"], ["X"]],
            [0, 0],
        ),
        # The only policy person is taken by the scarcer slot: the other is short.
        (
            [("policy", 1), ("research", 1)],
            {"policy": [c("X"), c("Y")], "research": [c("X")]},
            False,
            [["Y"], ["X"]],
            [0, 0],
        ),
        (
            [("policy", 2), ("research", 1)],
            {"policy": [c("X"), c("Y")], "research": [c("X")]},
            False,
            [["Y"], ["X"]],
            [1, 0],
        ),
    ],
)
def test_slots_fill_scarcest_first_and_say_what_is_missing(
    slots, pools, repeats, placed, shortfalls
) -> None:
    proposal = team.propose(
        [team.Slot(r, n) for r, n in slots], pools, alternates=2, allow_repeats=repeats
    )
    assert [[x.person_id for x in s.placed] for s in proposal.slots] == placed
    assert [s.shortfall for s in proposal.slots] == shortfalls
    assert proposal.complete is (sum(shortfalls) == 0)
    for s in proposal.slots:
        assert (s.unfilled_reason is None) is (s.shortfall == 0)


def test_a_short_slot_says_who_was_placed_elsewhere() -> None:
    proposal = team.propose(
        [team.Slot("research", 1), team.Slot("policy", 2)],
        {"policy": [c("X"), c("Y")], "research": [c("X")]},
    )
    reason = proposal.slots[1].unfilled_reason
    assert reason == (
        "1 of 2 policy found: 2 person(s) hold the role and meet the filters, "
        "1 of them placed in other slots"
    )


def test_reasons_name_certificates_level_hours_and_stage() -> None:
    person = team.Candidate("P", "A01", "U", ("gcp-ml", "aws"), Level.ADVANCED, 1250, "hands_on")
    assert person.reasons("development", 2026) == [
        "2 valid certificate(s) supporting development: gcp-ml, aws",
        "best level advanced",
        "12.50 AI hours in 2026",
        "stage hands_on",
    ]
    assert c("Q").reasons("policy", 2026)[:2] == [
        "no valid certificate supporting policy",
        "no certificate level",
    ]


candidates = st.builds(
    c,
    pid=st.sampled_from([f"P{i:02d}" for i in range(30)]),
    level=st.integers(0, 3),
    n=st.integers(0, 3),
    centi=st.sampled_from((0, 100, 600, 1200)),
)
role_names = st.sampled_from(("policy", "application", "development", "research"))


@given(
    slots=st.lists(st.tuples(role_names, st.integers(1, 4)), min_size=1, max_size=6),
    pools=st.dictionaries(
        role_names, st.lists(candidates, max_size=25, unique_by=lambda x: x.person_id)
    ),
    alternates=st.integers(0, 3),
    repeats=st.booleans(),
)
def test_the_best_few_per_role_give_the_same_proposal_as_everyone(
    slots, pools, alternates, repeats
) -> None:
    """What lets the store read only `needed_per_role` candidates per role."""
    asked = [team.Slot(r, n) for r, n in slots]
    whole = team.propose(asked, pools, alternates=alternates, allow_repeats=repeats)
    needed = team.needed_per_role(asked, alternates)
    few = {r: team.rank(p)[: needed.get(r, 0)] for r, p in pools.items()}
    cut = team.propose(
        asked,
        few,
        alternates=alternates,
        allow_repeats=repeats,
        eligible={r: len(p) for r, p in pools.items()},
    )
    assert cut == whole
    for s in whole.slots:
        ids = [x.person_id for x in s.placed]
        assert len(ids) == len(set(ids))
    if not repeats:
        everyone = [x.person_id for s in whole.slots for x in s.placed]
        assert len(everyone) == len(set(everyone))
