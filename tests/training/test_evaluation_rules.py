"""One person's evaluation: counting, thresholds, the Taipei year, cut-off, projection."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.training.domain.evaluation import (
    Evaluation,
    LearningRecord,
    RequirementKind,
    evaluate,
)
from services.training.domain.policy import (
    INFORMATION_SECURITY_REQUIREMENT,
    AgencyOverride,
    RequirementPolicy,
    national_policy,
    resolve_policy,
)
from services.training.domain.topics import Topic

D = Decimal
T = Topic
P2025 = national_policy(2025)
P2026 = national_policy(2026)
YEAR_END = date(2026, 12, 31)
NOV30 = resolve_policy(2026, ["A"], [AgencyOverride("A", 2026, "nov", cutoff_month_day=(11, 30))])


def rec(
    hours: str,
    *topics: Topic,
    on: date | datetime = date(2026, 3, 1),
    withdrawn: bool = False,
    digital: bool = False,
) -> LearningRecord:
    return LearningRecord(
        D(hours), on, frozenset(topics), category="x", is_digital=digital, withdrawn=withdrawn
    )


def complete_2026() -> list[LearningRecord]:
    """Exactly the 2026 national requirements, no hour to spare."""
    return [
        rec("1", T.MAJOR_POLICY),
        rec("4", T.ENVIRONMENTAL_EDUCATION),
        rec("3", T.DEMOCRATIC_VALUES),
        rec("1", T.GENDER_MAINSTREAMING),
        rec("1", T.SEXUAL_HARASSMENT_PREVENTION),
        rec("3", T.AI_BASIC),
        rec("3", T.AI_ADVANCED),
        rec("4"),
    ]


# --- thresholds --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "topic", "required"),
    [
        ("total", None, D(20)),
        ("environmental_education", T.ENVIRONMENTAL_EDUCATION, D(4)),
        ("democratic_values", T.DEMOCRATIC_VALUES, D(5)),
        ("major_policy", T.MAJOR_POLICY, D(1)),
        ("ai_minimum", T.AI_BASIC, D(3)),
        ("ai_advanced_target", T.AI_ADVANCED, D(3)),
    ],
)
@pytest.mark.parametrize("delta", [D("-0.01"), D(0), D("0.01"), D("2.25")])
def test_threshold_at_just_under_and_over(
    code: str, topic: Topic | None, required: Decimal, delta: Decimal
) -> None:
    hours = required + delta
    topics = () if topic is None else (topic,)
    result = evaluate([rec(str(hours), *topics)], P2026, YEAR_END).result(code)
    assert result.required == required
    assert result.completed == hours
    assert result.met is (delta >= 0)
    assert result.missing == (D("0.01") if delta < 0 else D(0))


def test_exact_2026_set_is_compliant_and_meets_the_ai_target() -> None:
    ev = evaluate(complete_2026(), P2026, YEAR_END)
    assert ev.compliant
    assert ev.ai_target_met
    assert ev.total.completed == D(20)
    assert all(r.missing == 0 for r in ev.requirements)


@pytest.mark.parametrize("drop", range(8))
def test_removing_any_piece_of_the_exact_set_breaks_compliance(drop: int) -> None:
    records = complete_2026()
    del records[drop]
    assert not evaluate(records, P2026, YEAR_END).compliant


def test_2025_needs_no_ai_hours_but_2026_needs_three() -> None:
    def without_ai(year: int) -> list[LearningRecord]:
        day = date(year, 3, 1)
        return [
            rec("1", T.MAJOR_POLICY, on=day),
            rec("4", T.ENVIRONMENTAL_EDUCATION, on=day),
            rec("3", T.DEMOCRATIC_VALUES, on=day),
            rec("1", T.GENDER_MAINSTREAMING, on=day),
            rec("1", T.SEXUAL_HARASSMENT_PREVENTION, on=day),
            rec("10", on=day),
        ]

    ev2025 = evaluate(without_ai(2025), P2025, date(2025, 12, 31))
    ev2026 = evaluate(without_ai(2026), P2026, YEAR_END)
    assert ev2025.compliant
    assert ev2025.ai_minimum.required == 0 and ev2025.ai_minimum.met
    assert not ev2026.compliant
    assert ev2026.ai_minimum.missing == D(3)
    assert [r.code for r in ev2026.compliance_requirements if not r.met] == ["ai_minimum"]


@pytest.mark.parametrize(
    ("basic", "advanced", "met"),
    [("3", "3", True), ("2.99", "3", False), ("3", "2.99", False), ("6", "0", False)],
)
def test_ai_target_needs_three_basic_and_three_advanced(
    basic: str, advanced: str, met: bool
) -> None:
    ev = evaluate([rec(basic, T.AI_BASIC), rec(advanced, T.AI_ADVANCED)], P2026, YEAR_END)
    assert ev.ai_target_met is met
    assert ev.ai_minimum.completed == D(basic) + D(advanced)


# --- several tags ------------------------------------------------------------------


def test_a_multi_tagged_record_counts_once_in_the_total_and_in_each_requirement() -> None:
    ev = evaluate(
        [rec("2", T.GENDER_MAINSTREAMING, T.ENVIRONMENTAL_EDUCATION, T.AI_BASIC)],
        P2026,
        YEAR_END,
    )
    assert ev.total.completed == D(2)
    assert ev.result("gender_mainstreaming").completed == D(2)
    assert ev.result("democratic_values").completed == D(2)  # nested, not doubled
    assert ev.result("environmental_education").completed == D(2)
    assert ev.result("ai_minimum").completed == D(2)
    assert ev.result("ai_basic_target").completed == D(2)
    assert ev.result("major_policy").completed == D(0)


def test_a_course_tagged_both_ai_levels_counts_as_advanced_only() -> None:
    ev = evaluate([rec("6", T.AI_BASIC, T.AI_ADVANCED)], P2026, YEAR_END)
    assert ev.ai_minimum.completed == D(6)
    assert ev.ai_basic_target.completed == D(0)
    assert ev.ai_advanced_target.completed == D(6)
    assert not ev.ai_target_met


def test_agency_extra_requirement_is_evaluated_as_mandatory() -> None:
    policy = resolve_policy(
        2026,
        ["A"],
        [AgencyOverride("A", 2026, "sec", extra_requirements=(INFORMATION_SECURITY_REQUIREMENT,))],
    )
    ev = evaluate([*complete_2026(), rec("2.5", T.INFORMATION_SECURITY)], policy, YEAR_END)
    sec = ev.result("information_security")
    assert sec.kind is RequirementKind.MANDATORY
    assert sec.missing == D("0.5")
    assert not ev.compliant


# --- Taipei calendar, cut-off, withdrawn, as_of ------------------------------------


@pytest.mark.parametrize(
    ("moment", "counts_in_2025", "counts_in_2026"),
    [
        (datetime(2025, 12, 31, 15, 30, tzinfo=UTC), True, False),  # 23:30 Taipei
        (datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC), True, False),
        (datetime(2025, 12, 31, 16, 0, tzinfo=UTC), False, True),  # midnight Taipei
        (datetime(2025, 12, 31, 16, 30, tzinfo=UTC), False, True),  # 00:30 Taipei
        (datetime(2025, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=8))), True, False),
        (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=8))), False, True),
        (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=9))), True, False),  # Tokyo
        (date(2025, 12, 31), True, False),
        (date(2026, 1, 1), False, True),
    ],
)
def test_year_is_decided_on_the_taipei_calendar(
    moment: date | datetime, counts_in_2025: bool, counts_in_2026: bool
) -> None:
    record = rec("1.5", on=moment)
    in_2025 = evaluate([record], P2025, date(2026, 6, 30)).total.completed
    in_2026 = evaluate([record], P2026, YEAR_END).total.completed
    assert in_2025 == (D("1.5") if counts_in_2025 else 0)
    assert in_2026 == (D("1.5") if counts_in_2026 else 0)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        rec("1", on=datetime(2026, 3, 1, 9, 0))


@pytest.mark.parametrize("bad", [D(-1), D("Infinity")])
def test_negative_or_infinite_hours_are_refused(bad: Decimal) -> None:
    with pytest.raises(ValueError, match="hours"):
        LearningRecord(bad, date(2026, 1, 1))


def test_float_hours_are_refused() -> None:
    with pytest.raises(TypeError, match="hours"):
        LearningRecord(1.5, date(2026, 1, 1))  # type: ignore[arg-type]


def test_records_after_the_cutoff_are_reported_not_counted() -> None:
    records = [
        rec("2", T.ENVIRONMENTAL_EDUCATION, on=datetime(2026, 11, 30, 15, 59, tzinfo=UTC)),
        rec("1.5", T.ENVIRONMENTAL_EDUCATION, on=datetime(2026, 11, 30, 16, 0, tzinfo=UTC)),
        rec("0.5", on=date(2026, 12, 31)),
        rec("3", on=date(2027, 1, 2)),  # next year: neither counted nor after this cut-off
    ]
    ev = evaluate(records, NOV30, YEAR_END)
    assert ev.cutoff == date(2026, 11, 30)
    assert ev.total.completed == D(2)
    assert ev.result("environmental_education").completed == D(2)
    assert ev.after_cutoff_hours == D(2)
    # Same records under the national 31 Dec cut-off: everything in 2026 counts.
    assert evaluate(records, P2026, YEAR_END).total.completed == D(4)


def test_withdrawn_records_never_count_and_corrections_replace_them() -> None:
    original = rec("2", T.ENVIRONMENTAL_EDUCATION, withdrawn=True)
    corrected = rec("1.5", T.ENVIRONMENTAL_EDUCATION)
    late_withdrawn = rec("4", on=date(2026, 12, 15), withdrawn=True)
    ev = evaluate([original, corrected, late_withdrawn], NOV30, YEAR_END)
    assert ev.total.completed == D("1.5")
    assert ev.result("environmental_education").completed == D("1.5")
    assert ev.counted_records == 1
    assert ev.after_cutoff_hours == 0


def test_records_after_as_of_and_other_years_do_not_count() -> None:
    records = [
        rec("1", on=date(2026, 6, 30)),
        rec("2", on=date(2026, 7, 1)),
        rec("4", on=date(2025, 6, 30)),
    ]
    assert evaluate(records, P2026, date(2026, 6, 30)).total.completed == D(1)
    assert evaluate(records, P2026, date(2026, 7, 1)).total.completed == D(3)


def test_aware_datetime_as_of_is_read_as_a_taipei_day() -> None:
    records = [rec("1", on=date(2026, 7, 1))]
    as_of = datetime(2026, 6, 30, 16, 30, tzinfo=UTC)  # 1 Jul 00:30 Taipei
    ev = evaluate(records, P2026, as_of)
    assert ev.as_of == date(2026, 7, 1)
    assert ev.total.completed == D(1)


def test_digital_hours_are_reported_without_changing_compliance() -> None:
    records = [replace(r, is_digital=True) for r in complete_2026()[:3]] + complete_2026()[3:]
    ev = evaluate(records, P2026, YEAR_END)
    assert ev.digital_hours == D(8)
    assert ev.compliant


# --- projection --------------------------------------------------------------------


def expected_projection(hours: Decimal, as_of: date, cutoff: date) -> Fraction:
    jan1 = date(as_of.year, 1, 1)
    elapsed = (as_of - jan1).days + 1
    whole = (cutoff - jan1).days + 1
    return Fraction(hours) * whole / elapsed


@pytest.mark.parametrize(
    ("hours", "as_of", "policy"),
    [
        (D(10), date(2026, 7, 2), P2026),  # 10 h by day 183 of 365: short of 20
        (D("10.03"), date(2026, 7, 2), P2026),  # just over the pace
        (D("0.5"), date(2026, 1, 1), P2026),  # one day in: 182.5 h
        (D(10), date(2026, 6, 15), NOV30),
        (D(0), date(2026, 3, 1), P2026),
    ],
)
def test_projection_before_the_cutoff_extends_the_current_pace(
    hours: Decimal, as_of: date, policy: RequirementPolicy
) -> None:
    ev = evaluate([rec(str(hours), on=date(2026, 1, 1))], policy, as_of)
    exact = expected_projection(hours, as_of, policy.cutoff_date)
    assert ev.total.on_track is (exact >= 20)
    assert abs(Fraction(ev.total.projected) - exact) <= Fraction(1, 200)
    assert ev.projected_compliant is False  # no mandatory topic has any hours


@pytest.mark.parametrize(
    ("as_of", "policy"),
    [
        (date(2026, 12, 31), P2026),
        (date(2027, 3, 1), P2026),
        (date(2026, 11, 30), NOV30),
        (date(2026, 12, 20), NOV30),
        (date(2025, 12, 1), P2026),  # year not begun: no pace
    ],
)
def test_projection_on_or_after_the_cutoff_equals_the_actual(
    as_of: date, policy: RequirementPolicy
) -> None:
    ev = evaluate(complete_2026()[:-1], policy, as_of)
    for res in ev.requirements:
        assert res.projected == res.completed
        assert res.on_track is res.met
    assert ev.projected_compliant is ev.compliant
    assert ev.projected_ai_target_met is ev.ai_target_met


def test_half_way_with_half_the_hours_is_on_track() -> None:
    # 2 Jul is day 183 of 365; half of every requirement by then keeps pace only if
    # the hours are at least 183/365 of it.
    half = [replace(r, hours=r.hours * D("0.5014")) for r in complete_2026()]
    ev = evaluate(half, P2026, date(2026, 7, 2))
    assert not ev.compliant
    assert ev.projected_compliant
    assert ev.projected_ai_target_met


# --- properties --------------------------------------------------------------------

DAYS = st.dates(min_value=date(2025, 11, 1), max_value=date(2027, 2, 1))
MOMENTS = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(UTC)
)
RECORDS = st.builds(
    LearningRecord,
    hours=st.decimals(min_value=0, max_value=12, places=2),
    completed=st.one_of(DAYS, MOMENTS),
    topics=st.frozensets(st.sampled_from(list(Topic)), max_size=3),
    category=st.just("c"),
    is_digital=st.booleans(),
    withdrawn=st.booleans(),
)
POLICIES = st.sampled_from([P2026, NOV30])


def counted_by_definition(
    records: list[LearningRecord], policy: RequirementPolicy, as_of: date
) -> Decimal:
    total = D(0)
    for r in records:
        if isinstance(r.completed, datetime):
            day = r.completed.astimezone(timezone(timedelta(hours=8))).date()
        else:
            day = r.completed
        if not r.withdrawn and day.year == 2026 and day <= policy.cutoff_date and day <= as_of:
            total += r.hours
    return total


def check_invariants(ev: Evaluation) -> None:
    for res in ev.requirements:
        assert res.missing >= 0
        assert res.missing + res.completed >= res.required
        assert res.missing == max(D(0), res.required - res.completed)
        assert res.met is (res.completed >= res.required)
        if res.met:
            assert res.on_track


@settings(max_examples=200)
@given(st.lists(RECORDS, max_size=25), POLICIES, DAYS)
def test_missing_completed_and_met_are_consistent(records, policy, as_of) -> None:
    ev = evaluate(records, policy, as_of)
    check_invariants(ev)
    assert ev.compliant is all(r.met for r in ev.compliance_requirements)
    assert ev.ai_target_met is (ev.ai_basic_target.met and ev.ai_advanced_target.met)


@settings(max_examples=200)
@given(st.lists(RECORDS, max_size=25), POLICIES, DAYS)
def test_total_completed_is_the_sum_of_counted_hours(records, policy, as_of) -> None:
    ev = evaluate(records, policy, as_of)
    assert ev.total.completed == counted_by_definition(records, policy, as_of)
    assert ev.counted_hours == ev.total.completed
    # No requirement can collect more than the total: hours are never doubled.
    assert all(r.completed <= ev.total.completed for r in ev.requirements)


@settings(max_examples=200)
@given(st.lists(RECORDS, max_size=25), RECORDS, POLICIES, DAYS)
def test_adding_a_record_never_takes_anything_away(records, extra, policy, as_of) -> None:
    before = evaluate(records, policy, as_of)
    after = evaluate([*records, extra], policy, as_of)
    for old, new in zip(before.requirements, after.requirements, strict=True):
        assert new.completed >= old.completed
        assert new.met or not old.met
        assert new.on_track or not old.on_track
    assert after.compliant or not before.compliant
    assert after.ai_target_met or not before.ai_target_met


@settings(max_examples=100)
@given(st.lists(RECORDS, max_size=25), POLICIES, DAYS, st.randoms(use_true_random=False))
def test_record_order_does_not_matter(records, policy, as_of, rnd) -> None:
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert evaluate(records, policy, as_of) == evaluate(shuffled, policy, as_of)


@settings(max_examples=100)
@given(st.lists(RECORDS, max_size=25), POLICIES, st.dates(date(2026, 12, 1), date(2027, 6, 1)))
def test_after_the_cutoff_projection_is_the_actual(records, policy, as_of) -> None:
    if as_of < policy.cutoff_date:
        as_of = policy.cutoff_date
    ev = evaluate(records, policy, as_of)
    assert all(r.projected == r.completed for r in ev.requirements)
