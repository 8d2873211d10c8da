"""Requirement policies: national rows by year, agency overrides, validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.training.domain.policy import (
    AI_ADVANCED_TARGET,
    AI_BASIC_TARGET,
    AI_MINIMUM,
    INFORMATION_SECURITY_REQUIREMENT,
    NATIONAL_POLICIES,
    AgencyOverride,
    RequirementPolicy,
    TopicRequirement,
    apply_override,
    national_policy,
    resolve_policy,
)
from services.training.domain.topics import AI_TOPICS, Topic, is_ai

D = Decimal


def minimums(policy: RequirementPolicy) -> dict[str, Decimal]:
    return {r.code: r.minimum_hours for r in policy.topic_requirements}


# --- topics --------------------------------------------------------------------


def test_only_the_two_ai_levels_count_as_ai() -> None:
    assert {t for t in Topic if t.is_ai} == {Topic.AI_BASIC, Topic.AI_ADVANCED}
    assert frozenset({Topic.AI_BASIC, Topic.AI_ADVANCED}) == AI_TOPICS
    assert is_ai(frozenset({Topic.MAJOR_POLICY, Topic.AI_ADVANCED}))
    assert not is_ai(frozenset({Topic.ENVIRONMENTAL_EDUCATION}))
    assert not is_ai(frozenset())


def test_topics_are_strings_with_chinese_labels() -> None:
    assert Topic("ai_basic") is Topic.AI_BASIC
    assert Topic.ENVIRONMENTAL_EDUCATION.value == "environmental_education"
    assert all(t.label_zh for t in Topic)
    assert "性騷擾" in Topic.SEXUAL_HARASSMENT_PREVENTION.label_zh


# --- national rows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "ai_minimum"),
    [(2024, D(0)), (2025, D(0)), (2026, D(3)), (2027, D(3)), (2035, D(3))],
)
def test_ai_minimum_is_three_hours_from_2026(year: int, ai_minimum: Decimal) -> None:
    policy = national_policy(year)
    assert policy.year == year
    assert policy.ai_minimum_hours == ai_minimum
    assert policy.requirement(AI_MINIMUM).minimum_hours == ai_minimum
    assert policy.requirement(AI_MINIMUM).topics == AI_TOPICS


@pytest.mark.parametrize("year", [2017, 2023, 2024, 2025, 2026, 2030])
def test_total_stays_twenty_hours_and_cutoff_defaults_to_31_december(year: int) -> None:
    policy = national_policy(year)
    assert policy.total_hours == D(20)
    assert policy.cutoff_date == date(year, 12, 31)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (
            2023,
            {
                "major_policy": D(1),
                "environmental_education": D(4),
                "democratic_values": D(5),
                "gender_mainstreaming": D(1),
            },
        ),
        (
            2025,
            {
                "major_policy": D(1),
                "environmental_education": D(4),
                "democratic_values": D(5),
                "gender_mainstreaming": D(1),
                "sexual_harassment_prevention": D(1),
            },
        ),
        (
            2026,
            {
                "major_policy": D(1),
                "environmental_education": D(4),
                "democratic_values": D(5),
                "gender_mainstreaming": D(1),
                "sexual_harassment_prevention": D(1),
            },
        ),
    ],
)
def test_mandatory_topic_minimums_by_year(year: int, expected: dict[str, Decimal]) -> None:
    assert minimums(national_policy(year)) == expected


def test_democratic_values_is_satisfied_by_its_nested_topics() -> None:
    req = national_policy(2026).requirement("democratic_values")
    assert req.topics == {
        Topic.DEMOCRATIC_VALUES,
        Topic.GENDER_MAINSTREAMING,
        Topic.SEXUAL_HARASSMENT_PREVENTION,
    }


def test_ai_targets_are_three_basic_and_three_advanced() -> None:
    policy = national_policy(2026)
    assert policy.requirement(AI_BASIC_TARGET).minimum_hours == D(3)
    assert policy.requirement(AI_ADVANCED_TARGET).minimum_hours == D(3)
    # A course tagged both levels may not fill the basic half.
    assert not policy.requirement(AI_BASIC_TARGET).counts(
        frozenset({Topic.AI_BASIC, Topic.AI_ADVANCED})
    )


def test_information_security_is_an_agency_option_not_national() -> None:
    assert "information_security" not in minimums(national_policy(2026))
    assert INFORMATION_SECURITY_REQUIREMENT.minimum_hours == D(3)


def test_year_without_row_uses_latest_earlier_row_redated() -> None:
    policy = national_policy(2029)
    assert policy.version == NATIONAL_POLICIES[2026].version
    assert policy.year == 2029
    assert policy.cutoff_date == date(2029, 12, 31)


def test_year_before_every_row_is_refused() -> None:
    with pytest.raises(ValueError, match="year"):
        national_policy(2016)


def test_rebased_cutoff_on_29_february_moves_to_28_february() -> None:
    leap = RequirementPolicy(2024, "odd", (), cutoff=date(2024, 2, 29))
    assert national_policy(2025, {2024: leap}).cutoff == date(2025, 2, 28)
    assert national_policy(2028, {2024: leap}).cutoff == date(2028, 2, 29)


# --- overrides ---------------------------------------------------------------------


def test_override_raises_total_moves_cutoff_and_adds_information_security() -> None:
    override = AgencyOverride(
        "A100",
        2025,
        "v1",
        total_hours=D(30),
        topic_minimums={"environmental_education": D(6)},
        extra_requirements=(INFORMATION_SECURITY_REQUIREMENT,),
        cutoff_month_day=(11, 30),
    )
    policy = resolve_policy(2026, ["A100"], [override])
    assert policy.total_hours == D(30)
    assert policy.cutoff_date == date(2026, 11, 30)
    assert minimums(policy)["environmental_education"] == D(6)
    assert minimums(policy)["information_security"] == D(3)
    # Untouched fields keep the national values.
    assert policy.ai_minimum_hours == D(3)
    assert minimums(policy)["major_policy"] == D(1)
    assert "A100" in policy.version


HIGH = AgencyOverride("ROOT", 2020, "root", total_hours=D(50))
MID = AgencyOverride("MID", 2020, "mid", total_hours=D(30))


@pytest.mark.parametrize(
    ("chain", "overrides", "total"),
    [
        (["LEAF", "MID", "ROOT"], [HIGH, MID], D(30)),  # nearest ancestor wins
        (["LEAF", "MID", "ROOT"], [HIGH], D(50)),  # inherited from further up
        (["MID", "ROOT"], [HIGH, MID], D(30)),  # own override
        (["ROOT"], [HIGH, MID], D(50)),  # a child's override does not apply upwards
        (["OTHER"], [HIGH, MID], D(20)),  # no override on the chain: national
        ([], [HIGH, MID], D(20)),
        (
            ["LEAF", "ROOT"],
            [AgencyOverride("LEAF", 2027, "later", total_hours=D(40)), HIGH],
            D(50),  # the leaf's override is not yet in force in 2026
        ),
        (
            ["LEAF"],
            [
                AgencyOverride("LEAF", 2020, "old", total_hours=D(25)),
                AgencyOverride("LEAF", 2024, "new", total_hours=D(35)),
                AgencyOverride("LEAF", 2030, "future", total_hours=D(45)),
            ],
            D(35),  # latest in force
        ),
    ],
)
def test_override_inheritance_along_the_chain(
    chain: list[str], overrides: list[AgencyOverride], total: Decimal
) -> None:
    assert resolve_policy(2026, chain, overrides).total_hours == total


@pytest.mark.parametrize(
    ("year", "override", "field"),
    [
        (2026, AgencyOverride("A", 2020, "v", total_hours=D("19.99")), "total_hours"),
        (2026, AgencyOverride("A", 2020, "v", ai_minimum_hours=D(2)), "ai_minimum_hours"),
        (
            2026,
            AgencyOverride("A", 2020, "v", ai_target_basic_hours=D("2.5")),
            "ai_target_basic_hours",
        ),
        (
            2026,
            AgencyOverride("A", 2020, "v", ai_target_advanced_hours=D(0)),
            "ai_target_advanced_hours",
        ),
        (
            2025,
            AgencyOverride("A", 2020, "v", topic_minimums={"environmental_education": D("3.99")}),
            r"topic_minimums\[environmental_education\]",
        ),
        (
            2025,
            AgencyOverride("A", 2020, "v", topic_minimums={"cooking": D(3)}),
            r"topic_minimums\[cooking\]",
        ),
        (
            2025,
            AgencyOverride(
                "A",
                2020,
                "v",
                extra_requirements=(
                    TopicRequirement("major_policy", frozenset({Topic.MAJOR_POLICY}), D(2)),
                ),
            ),
            "extra_requirements",
        ),
    ],
)
def test_override_may_not_go_below_the_national_floor(
    year: int, override: AgencyOverride, field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        resolve_policy(year, ["A"], [override])


def test_ai_minimum_override_in_2025_is_a_raise_not_a_lowering() -> None:
    override = AgencyOverride("A", 2020, "v", ai_minimum_hours=D(2))
    assert resolve_policy(2025, ["A"], [override]).ai_minimum_hours == D(2)


def test_override_may_not_move_the_cutoff_later() -> None:
    national = RequirementPolicy(2026, "n", (), cutoff=date(2026, 11, 30))
    override = AgencyOverride("A", 2020, "v", cutoff_month_day=(12, 15))
    with pytest.raises(ValueError, match="cutoff"):
        apply_override(national, override)
    earlier = AgencyOverride("A", 2020, "v", cutoff_month_day=(10, 31))
    assert apply_override(national, earlier).cutoff_date == date(2026, 10, 31)


def test_equal_values_are_allowed_as_the_floor_itself() -> None:
    national = national_policy(2026)
    override = AgencyOverride(
        "A",
        2020,
        "v",
        total_hours=national.total_hours,
        ai_minimum_hours=national.ai_minimum_hours,
        topic_minimums=minimums(national),
        cutoff_month_day=(12, 31),
    )
    resolved = resolve_policy(2026, ["A"], [override])
    assert resolved.total_hours == national.total_hours
    assert minimums(resolved) == minimums(national)
    assert resolved.cutoff_date == national.cutoff_date


def test_two_overrides_for_the_same_agency_and_year_are_refused() -> None:
    with pytest.raises(ValueError, match="overrides"):
        resolve_policy(
            2026,
            ["A"],
            [AgencyOverride("A", 2025, "x"), AgencyOverride("A", 2025, "y")],
        )


@given(
    total=st.decimals(min_value=0, max_value=60, places=2),
    env=st.decimals(min_value=0, max_value=10, places=2),
    ai=st.decimals(min_value=0, max_value=10, places=2),
)
def test_override_either_raises_or_is_refused(total: Decimal, env: Decimal, ai: Decimal) -> None:
    national = national_policy(2026)
    override = AgencyOverride(
        "A",
        2020,
        "v",
        total_hours=total,
        ai_minimum_hours=ai,
        topic_minimums={"environmental_education": env},
    )
    lowers = (
        total < national.total_hours
        or ai < national.ai_minimum_hours
        or env < minimums(national)["environmental_education"]
    )
    if lowers:
        with pytest.raises(ValueError, match="national floor"):
            resolve_policy(2026, ["A"], [override])
        return
    resolved = resolve_policy(2026, ["A"], [override])
    assert resolved.total_hours == total
    assert resolved.ai_minimum_hours == ai
    for code, hours in minimums(national).items():
        assert minimums(resolved)[code] >= hours


# --- validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "field"),
    [
        (lambda: RequirementPolicy(2026, "v", (), total_hours=D(-1)), ValueError, "total_hours"),
        (
            lambda: RequirementPolicy(2026, "v", (), total_hours=cast(Any, 20.0)),
            TypeError,
            "total_hours",
        ),
        (
            lambda: RequirementPolicy(2026, "v", (), ai_minimum_hours=D("NaN")),
            ValueError,
            "ai_minimum_hours",
        ),
        (
            lambda: RequirementPolicy(2026, "v", (), cutoff=date(2027, 1, 1)),
            ValueError,
            "cutoff",
        ),
        (lambda: RequirementPolicy(2026, "", ()), ValueError, "version"),
        (lambda: RequirementPolicy(1900, "v", ()), ValueError, "year"),
        (
            lambda: RequirementPolicy(
                2026, "v", (TopicRequirement("total", frozenset({Topic.MAJOR_POLICY}), D(1)),)
            ),
            ValueError,
            "reserved",
        ),
        (
            lambda: RequirementPolicy(
                2026,
                "v",
                (
                    TopicRequirement("x", frozenset({Topic.MAJOR_POLICY}), D(1)),
                    TopicRequirement("x", frozenset({Topic.MAJOR_POLICY}), D(2)),
                ),
            ),
            ValueError,
            "duplicate",
        ),
        (lambda: TopicRequirement("x", frozenset(), D(1)), ValueError, "topics"),
        (
            lambda: TopicRequirement("x", frozenset({Topic.MAJOR_POLICY}), D("-0.5")),
            ValueError,
            "minimum_hours",
        ),
        (
            lambda: TopicRequirement(
                "x",
                frozenset({Topic.MAJOR_POLICY}),
                D(1),
                excluding=frozenset({Topic.MAJOR_POLICY}),
            ),
            ValueError,
            "excluding",
        ),
        (lambda: AgencyOverride("A", 2020, "v", total_hours=D(-3)), ValueError, "total_hours"),
        (
            lambda: AgencyOverride("A", 2020, "v", topic_minimums={"major_policy": D(-1)}),
            ValueError,
            "topic_minimums",
        ),
        (
            lambda: AgencyOverride("A", 2020, "v", cutoff_month_day=(2, 29)),
            ValueError,
            "cutoff_month_day",
        ),
        (
            lambda: AgencyOverride("A", 2020, "v", cutoff_month_day=(4, 31)),
            ValueError,
            "cutoff_month_day",
        ),
        (lambda: AgencyOverride("", 2020, "v"), ValueError, "agency_id"),
    ],
)
def test_invalid_policies_name_the_field(build, error, field) -> None:
    with pytest.raises(error, match=field):
        build()


def test_override_mapping_is_frozen_after_validation() -> None:
    raw = {"major_policy": D(2)}
    override = AgencyOverride("A", 2020, "v", topic_minimums=raw)
    raw["major_policy"] = D(-5)
    assert override.topic_minimums["major_policy"] == D(2)
    with pytest.raises(TypeError):
        override.topic_minimums["major_policy"] = D(0)  # type: ignore[index]
