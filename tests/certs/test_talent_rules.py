"""The learning-path stage as rules written as data: table-driven examples from
seed 001, and properties over any hours, certificates, days and rule tables."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.certs.domain.talent import (
    STAGE_RULES,
    Certificate,
    CertificateKind,
    Level,
    Stage,
    StageInput,
    StageRule,
    TalentRole,
    check_rules,
    learning_stage,
)

D = Decimal
DAY = date(2026, 12, 2)
KIND = CertificateKind


def cert(
    kind: CertificateKind,
    level: Level = Level.BASIC,
    verified: date = date(2026, 9, 1),
    expires: date | None = None,
    code: str = "",
) -> Certificate:
    return Certificate(kind, level, verified, expires, code)


@pytest.mark.parametrize(
    ("hours", "advanced", "certificates", "stage", "rule"),
    [
        # Nobody is below entry: the path starts there (全體打底).
        (D(0), D(0), (), Stage.ENTRY, 5),
        # The yearly minimum is still entry; 3 + 3 is advanced.
        (D(3), D(0), (), Stage.ENTRY, 5),
        (D("5.99"), D(3), (), Stage.ENTRY, 5),
        (D(6), D("2.99"), (), Stage.ENTRY, 5),
        (D(6), D(3), (), Stage.ADVANCED, 3),
        # The government common-core certificate (literacy) or an office tool one.
        (D(0), D(0), (cert(KIND.LITERACY),), Stage.ADVANCED, 4),
        (D(0), D(0), (cert(KIND.TOOL),), Stage.ADVANCED, 4),
        # iPAS intermediate planner: hands-on with the 6 hours, advanced without.
        (D(6), D(0), (cert(KIND.PROJECT_PLANNING, Level.INTERMEDIATE),), Stage.HANDS_ON, 1),
        (D(5), D(0), (cert(KIND.PROJECT_PLANNING, Level.INTERMEDIATE),), Stage.ENTRY, 5),
        # A basic planning certificate is no proof of practice.
        (D(6), D(3), (cert(KIND.PROJECT_PLANNING, Level.BASIC),), Stage.ADVANCED, 3),
        (D(6), D(0), (cert(KIND.TOOL, Level.INTERMEDIATE),), Stage.HANDS_ON, 2),
        # Google Cloud professional ML engineer: hands-on, hours or not.
        (D(0), D(0), (cert(KIND.PROJECT_TECHNICAL, Level.ADVANCED),), Stage.HANDS_ON, 0),
        # Expired the day before: it no longer counts.
        (
            D(0),
            D(0),
            (cert(KIND.PROJECT_TECHNICAL, expires=DAY - timedelta(days=1)),),
            Stage.ENTRY,
            5,
        ),
        # Its last valid day is today: it still counts.
        (D(0), D(0), (cert(KIND.PROJECT_TECHNICAL, expires=DAY),), Stage.HANDS_ON, 0),
        # Verified tomorrow: not yet.
        (D(0), D(0), (cert(KIND.LITERACY, verified=DAY + timedelta(days=1)),), Stage.ENTRY, 5),
    ],
)
def test_stage_examples(hours, advanced, certificates, stage, rule):
    result = learning_stage(StageInput(hours, DAY, advanced, certificates))
    assert (result.stage, result.rule) == (stage, rule)
    assert result.reason == STAGE_RULES[rule].reason


def test_the_result_names_the_certificates_that_counted():
    technical = cert(KIND.PROJECT_TECHNICAL, Level.ADVANCED, code="gcp-pmle")
    literacy = cert(KIND.LITERACY, code="gov-ai-core")
    result = learning_stage(StageInput(D(0), DAY, certificates=(literacy, technical)))
    assert result.counted == (technical,)


def test_a_row_for_some_roles_applies_to_them_only():
    rules = (
        StageRule(
            Stage.HANDS_ON,
            "developers with 10 AI hours",
            min_ai_hours=D(10),
            roles=frozenset({TalentRole.DEVELOPMENT}),
        ),
        StageRule(Stage.ENTRY, "everyone else"),
    )
    developer = StageInput(D(10), DAY, roles=frozenset({TalentRole.DEVELOPMENT, TalentRole.POLICY}))
    planner = StageInput(D(10), DAY, roles=frozenset({TalentRole.POLICY}))
    assert learning_stage(developer, rules).stage is Stage.HANDS_ON
    assert learning_stage(planner, rules).stage is Stage.ENTRY


def test_feb_29_is_a_day_like_any_other():
    leap = cert(KIND.LITERACY, verified=date(2024, 2, 29), expires=date(2028, 2, 29))
    on = learning_stage(StageInput(D(0), date(2028, 2, 29), certificates=(leap,)))
    after = learning_stage(StageInput(D(0), date(2028, 3, 1), certificates=(leap,)))
    first = learning_stage(StageInput(D(0), date(2024, 2, 29), certificates=(leap,)))
    before = learning_stage(StageInput(D(0), date(2024, 2, 28), certificates=(leap,)))
    assert (on.stage, after.stage, first.stage, before.stage) == (
        Stage.ADVANCED,
        Stage.ENTRY,
        Stage.ADVANCED,
        Stage.ENTRY,
    )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ((), "at least one row"),
        ((StageRule(Stage.ENTRY, "x", min_ai_hours=D(1)),), "rules[0]: the last row"),
        (
            (StageRule(Stage.ENTRY, "x"), StageRule(Stage.HANDS_ON, "y")),
            "rules[1]: hands_on after entry",
        ),
        (
            (StageRule(Stage.ADVANCED, "x", min_ai_hours=D(-1)), StageRule(Stage.ENTRY, "y")),
            "rules[0].min_ai_hours",
        ),
        ((StageRule(Stage.ENTRY, " "),), "rules[0].reason"),
    ],
)
def test_a_rule_table_that_could_misrank_is_refused_naming_the_row(rules, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_rules(rules)


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="ai_hours"):
        StageInput(D(-1), DAY)
    with pytest.raises(ValueError, match="ai_advanced_hours"):
        StageInput(D(1), DAY, D(2))
    with pytest.raises(ValueError, match="expires_on"):
        cert(KIND.TOOL, verified=date(2026, 3, 1), expires=date(2026, 2, 28))


# --- properties ------------------------------------------------------------------------

hours_st = st.decimals(min_value=0, max_value=200, places=2, allow_nan=False)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
# Feb 29 of each leap year in range, and the Taipei year's first and last days.
edge_days = st.sampled_from(
    [date(2024, 2, 29), date(2028, 2, 29), date(2026, 1, 1), date(2026, 12, 31), date(2025, 12, 31)]
)
any_day = st.one_of(days, edge_days)


@st.composite
def certificates(draw: st.DrawFn) -> Certificate:
    verified = draw(any_day)
    expires = draw(st.one_of(st.none(), any_day.filter(lambda d: d >= verified)))
    return Certificate(
        draw(st.sampled_from(list(CertificateKind))),
        draw(st.sampled_from(list(Level))),
        verified,
        expires,
        draw(st.sampled_from(["", "a", "b"])),
    )


@st.composite
def rule_tables(draw: st.DrawFn) -> tuple[StageRule, ...]:
    """Any table check_rules accepts: rows from the highest stage down, each
    condition optional, and a last row asking nothing."""
    count = draw(st.integers(min_value=0, max_value=6))
    stages = sorted((draw(st.sampled_from(list(Stage))) for _ in range(count)), reverse=True)
    rows = [
        StageRule(
            stage,
            f"row {i}",
            min_ai_hours=draw(st.one_of(st.none(), hours_st)),
            min_advanced_hours=draw(st.one_of(st.none(), hours_st)),
            certificate_kinds=frozenset(draw(st.sets(st.sampled_from(list(CertificateKind))))),
            min_level=draw(st.sampled_from(list(Level))),
        )
        for i, stage in enumerate(stages)
    ]
    rows.append(StageRule(draw(st.sampled_from(list(Stage))) if not rows else min(stages), "last"))
    table = tuple(rows)
    check_rules(table)
    return table


@st.composite
def persons(draw: st.DrawFn) -> StageInput:
    total = draw(hours_st)
    advanced = draw(st.decimals(min_value=0, max_value=total, places=2, allow_nan=False))
    return StageInput(
        total, draw(any_day), advanced, tuple(draw(st.lists(certificates(), max_size=4)))
    )


@given(rule_tables(), persons(), hours_st)
def test_more_hours_never_lower_the_stage(rules, person, more):
    richer = StageInput(
        person.ai_hours + more, person.day, person.ai_advanced_hours, person.certificates
    )
    assert learning_stage(richer, rules).stage >= learning_stage(person, rules).stage


@given(rule_tables(), persons(), certificates())
def test_another_certificate_never_lowers_the_stage(rules, person, extra):
    more = StageInput(
        person.ai_hours, person.day, person.ai_advanced_hours, (*person.certificates, extra)
    )
    assert learning_stage(more, rules).stage >= learning_stage(person, rules).stage


@given(rule_tables(), persons(), certificates())
def test_a_certificate_past_its_last_day_never_counts(rules, person, extra):
    if extra.expires_on is None or person.day <= extra.expires_on:
        return
    with_it = StageInput(
        person.ai_hours, person.day, person.ai_advanced_hours, (*person.certificates, extra)
    )
    assert learning_stage(with_it, rules) == learning_stage(person, rules)


@given(rule_tables(), persons())
def test_the_first_row_that_holds_wins(rules, person):
    result = learning_stage(person, rules)
    valid = [c for c in person.certificates if c.valid_on(person.day)]

    def holds(rule: StageRule) -> bool:
        return (
            (rule.min_ai_hours is None or person.ai_hours >= rule.min_ai_hours)
            and (
                rule.min_advanced_hours is None
                or person.ai_advanced_hours >= rule.min_advanced_hours
            )
            and (
                not rule.certificate_kinds
                or any(
                    c.kind in rule.certificate_kinds and c.level >= rule.min_level for c in valid
                )
            )
        )

    first = next(i for i, rule in enumerate(rules) if holds(rule))
    assert result.rule == first and result.stage is rules[first].stage
    assert all(c in valid for c in result.counted)
