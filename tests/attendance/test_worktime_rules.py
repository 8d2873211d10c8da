"""Work-hour limits: every threshold at, one minute under and one minute over,
per regime. Expected figures are the statutory hours written out here, not
read back from the module."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from services.attendance.domain.worktime import (
    ConsentWindow,
    Evaluation,
    OvertimeProposal,
    Regime,
    WorkDay,
    WorkHourLimits,
    check_within_statutory,
    default_limits,
    evaluate_overtime,
    limits_with_overrides,
    monthly_monitoring,
)
from services.common.timeutil import TAIPEI

H = 60
MAY_6 = date(2024, 5, 6)  # a Monday


def spread_month(month_start: date, total: int, *, skip: date | None = None) -> list[WorkDay]:
    """Working days in the month carrying ``total`` overtime minutes, 8 h + at
    most 4 h each, so no single day trips a daily rule in any regime."""
    days: list[WorkDay] = []
    day = month_start
    while total > 0:
        assert day.month == month_start.month, "month too small for the requested total"
        if day != skip:
            chunk = min(4 * H, total)
            days.append(WorkDay(day, normal_minutes=480, overtime_minutes=chunk))
            total -= chunk
        day += timedelta(days=1)
    return days


Scenario = tuple[list[WorkDay], OvertimeProposal, dict[str, object]]
Builder = Callable[[int], Scenario]


def _day(normal: int, overtime: int, *, rest: bool = False, urgent: bool = False) -> Builder:
    """A single day: ``normal`` recorded, then ``overtime + delta`` proposed."""

    def build(delta: int) -> Scenario:
        existing = [WorkDay(MAY_6, is_rest_day=rest, normal_minutes=normal)] if normal else []
        proposal = OvertimeProposal(MAY_6, overtime + delta, is_rest_day=rest, urgent=urgent)
        return existing, proposal, {}

    return build


def _month(total: int, **kwargs: object) -> Builder:
    """``total - 60`` minutes already in May, then ``60 + delta`` proposed."""

    def build(delta: int) -> Scenario:
        target = date(2024, 5, 31)
        existing = spread_month(date(2024, 5, 1), total - 60, skip=target)
        return existing, OvertimeProposal(target, 60 + delta), dict(kwargs)

    return build


def _three_months(total: int) -> Builder:
    """March and April hold 80 h each; May gets the rest, last 60 min proposed."""

    def build(delta: int) -> Scenario:
        target = date(2024, 5, 31)
        existing = [
            *spread_month(date(2024, 3, 1), 80 * H),
            *spread_month(date(2024, 4, 1), 80 * H),
            *spread_month(date(2024, 5, 1), total - 160 * H - 60, skip=target),
        ]
        return existing, OvertimeProposal(target, 60 + delta), {}

    return build


# (regime, violation code, builder, the statutory threshold written out)
LIMIT_TABLE: list[tuple[Regime, str, Builder, int]] = [
    # regular: 12 h day, 4 h weekday overtime, 12 h rest-day overtime, 60 h month
    (Regime.REGULAR, "daily_total", _day(600, 120), 12 * H),
    (Regime.REGULAR, "weekday_overtime", _day(300, 240), 4 * H),
    (Regime.REGULAR, "rest_day_overtime", _day(0, 720, rest=True), 12 * H),
    (Regime.REGULAR, "monthly_overtime", _month(60 * H), 60 * H),
    # shift: 12 h day, 80 h month
    (Regime.SHIFT, "daily_total", _day(480, 240), 12 * H),
    (Regime.SHIFT, "monthly_overtime", _month(80 * H), 80 * H),
    # exception: 14 h day, 24 h when urgent, 80 h month
    (Regime.EXCEPTION, "daily_total", _day(480, 360), 14 * H),
    (Regime.EXCEPTION, "daily_total", _day(480, 960, urgent=True), 24 * H),
    (Regime.EXCEPTION, "monthly_overtime", _month(80 * H), 80 * H),
    # special major project: 14 h day, 240 h in three calendar months
    (Regime.SPECIAL_MAJOR_PROJECT, "daily_total", _day(480, 360), 14 * H),
    (Regime.SPECIAL_MAJOR_PROJECT, "daily_total", _day(480, 960, urgent=True), 24 * H),
    (Regime.SPECIAL_MAJOR_PROJECT, "three_month_overtime", _three_months(240 * H), 240 * H),
    # seasonal: 12 h day, 4 h weekday, 12 h rest day, 80 h month, consent above 60 h
    (Regime.SEASONAL, "daily_total", _day(600, 120), 12 * H),
    (Regime.SEASONAL, "weekday_overtime", _day(300, 240), 4 * H),
    (Regime.SEASONAL, "rest_day_overtime", _day(0, 720, rest=True), 12 * H),
    (
        Regime.SEASONAL,
        "monthly_overtime",
        _month(80 * H, consent_windows=[ConsentWindow(date(2024, 5, 1), date(2024, 6, 30))]),
        80 * H,
    ),
    (Regime.SEASONAL, "seasonal_consent", _month(60 * H), 60 * H),
]


def _run(regime: Regime, scenario: Scenario) -> Evaluation:
    existing, proposal, kwargs = scenario
    return evaluate_overtime(regime, existing, proposal, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("regime", "code", "build", "threshold"),
    LIMIT_TABLE,
    ids=[f"{r}-{c}-{t // H}h" for r, c, _, t in LIMIT_TABLE],
)
@pytest.mark.parametrize("delta", [-1, 0, 1], ids=["under", "at", "over"])
def test_limit_boundaries(
    regime: Regime, code: str, build: Builder, threshold: int, delta: int
) -> None:
    result = _run(regime, build(delta))
    hits = [v for v in result.violations if v.code == code]
    if delta <= 0:
        assert hits == [], result.violations
        return
    assert len(hits) == 1
    violation = hits[0]
    assert violation.limit_minutes == threshold
    assert violation.actual_minutes == threshold + 1
    assert violation.regime is regime
    assert f"{threshold // H} h 01 min" in violation.message
    assert not result.allowed


def test_at_every_limit_nothing_else_fires() -> None:
    # At the threshold no rule at all may complain, not just the one under test.
    for regime, _, build, _ in LIMIT_TABLE:
        assert _run(regime, build(0)).violations == (), regime


@pytest.mark.parametrize("regime", [Regime.REGULAR, Regime.SEASONAL])
def test_a_day_over_two_limits_names_both(regime: Regime) -> None:
    # 8 h + 4 h 30 min on a weekday: over the 12 h day and the 4 h weekday overtime.
    result = evaluate_overtime(
        regime, [WorkDay(MAY_6, normal_minutes=480)], OvertimeProposal(MAY_6, 270)
    )
    assert [(v.code, v.limit_minutes, v.actual_minutes) for v in result.violations] == [
        ("daily_total", 12 * H, 12 * H + 30),
        ("weekday_overtime", 4 * H, 4 * H + 30),
    ]


# ------------------------------------------------- regime-specific decisions


@pytest.mark.parametrize("regime", [Regime.EXCEPTION, Regime.SPECIAL_MAJOR_PROJECT, Regime.SHIFT])
def test_weekday_four_hours_does_not_apply_outside_regular_and_seasonal(regime: Regime) -> None:
    # 8 h + 4 h 30 min: over 4 h weekday overtime, inside every daily total.
    result = evaluate_overtime(
        regime, [WorkDay(MAY_6, normal_minutes=450)], OvertimeProposal(MAY_6, 270)
    )
    assert result.allowed


def test_exception_rest_day_governed_by_fourteen_hour_total() -> None:
    allowed = evaluate_overtime(
        Regime.EXCEPTION, [], OvertimeProposal(MAY_6, 14 * H, is_rest_day=True)
    )
    refused = evaluate_overtime(
        Regime.EXCEPTION, [], OvertimeProposal(MAY_6, 14 * H + 1, is_rest_day=True)
    )
    assert allowed.allowed
    assert refused.codes == {"daily_total"}


def test_urgent_flag_does_not_extend_regular_day() -> None:
    result = evaluate_overtime(
        Regime.REGULAR,
        [WorkDay(MAY_6, is_rest_day=True)],
        OvertimeProposal(MAY_6, 12 * H + 1, is_rest_day=True, urgent=True),
    )
    assert "daily_total" in result.codes
    assert next(v for v in result.violations if v.code == "daily_total").limit_minutes == 12 * H


def test_special_major_project_has_no_monthly_cap() -> None:
    existing = spread_month(date(2024, 5, 1), 100 * H - 60, skip=date(2024, 5, 31))
    result = evaluate_overtime(
        Regime.SPECIAL_MAJOR_PROJECT, existing, OvertimeProposal(date(2024, 5, 31), 60)
    )
    assert result.allowed
    # ...and a month over 60 h is not reported: consent precedes it.
    assert [r.code for r in result.reports] == []


# ------------------------------------------------------- consecutive long days


def _long_day(day: date) -> WorkDay:
    return WorkDay(day, normal_minutes=480, overtime_minutes=420, urgent=True)  # 15 h


@pytest.mark.parametrize("regime", [Regime.EXCEPTION, Regime.SPECIAL_MAJOR_PROJECT])
@pytest.mark.parametrize(
    ("before", "allowed"),
    [(0, True), (1, True), (2, True), (3, False), (4, False)],
)
def test_consecutive_days_over_fourteen_hours(regime: Regime, before: int, allowed: bool) -> None:
    existing = [_long_day(MAY_6 + timedelta(days=i)) for i in range(before)]
    target = MAY_6 + timedelta(days=before)
    existing.append(WorkDay(target, normal_minutes=480))
    result = evaluate_overtime(regime, existing, OvertimeProposal(target, 420, urgent=True))
    assert result.allowed is allowed
    if not allowed:
        (violation,) = result.violations
        assert violation.code == "consecutive_long_days"
        assert violation.limit_days == 3
        assert violation.actual_days == before + 1


def test_consecutive_run_counts_days_after_the_proposal_too() -> None:
    # Long days on the 6th and the 8th–9th; making the 7th long joins them into 4.
    existing = [
        _long_day(date(2024, 5, 6)),
        WorkDay(date(2024, 5, 7), normal_minutes=480),
        _long_day(date(2024, 5, 8)),
        _long_day(date(2024, 5, 9)),
    ]
    result = evaluate_overtime(
        Regime.EXCEPTION, existing, OvertimeProposal(date(2024, 5, 7), 420, urgent=True)
    )
    assert result.codes == {"consecutive_long_days"}


def test_a_normal_day_breaks_the_run() -> None:
    existing = [_long_day(MAY_6 + timedelta(days=i)) for i in range(3)]
    existing.append(WorkDay(MAY_6 + timedelta(days=3), normal_minutes=480))  # 8 h only
    target = MAY_6 + timedelta(days=4)
    existing.append(WorkDay(target, normal_minutes=480))
    result = evaluate_overtime(
        Regime.EXCEPTION, existing, OvertimeProposal(target, 420, urgent=True)
    )
    assert result.allowed


def test_long_day_without_urgent_flag_is_refused() -> None:
    result = evaluate_overtime(
        Regime.EXCEPTION, [WorkDay(MAY_6, normal_minutes=480)], OvertimeProposal(MAY_6, 420)
    )
    assert result.codes == {"daily_total"}


# -------------------------------------------------------------- shift rest


def _taipei(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TAIPEI)


@pytest.mark.parametrize(
    ("next_start_hour", "next_start_minute", "rest", "allowed"),
    [(3, 0, 11 * H, True), (2, 59, 11 * H - 1, False), (3, 1, 11 * H + 1, True)],
)
def test_shift_rest_at_a_shift_change(
    next_start_hour: int, next_start_minute: int, rest: int, allowed: bool
) -> None:
    day1, day2 = MAY_6, MAY_6 + timedelta(days=1)
    existing = [
        WorkDay(
            day1, normal_minutes=480, shift_start=_taipei(day1, 8), shift_end=_taipei(day1, 16)
        ),
        WorkDay(day2, normal_minutes=480),
    ]
    start = _taipei(day2, next_start_hour, next_start_minute)
    proposal = OvertimeProposal(day2, 60, shift_start=start, shift_end=start + timedelta(hours=9))
    result = evaluate_overtime(Regime.SHIFT, existing, proposal)
    assert result.allowed is allowed
    if not allowed:
        (violation,) = result.violations
        assert violation.code == "shift_rest"
        assert violation.limit_minutes == 11 * H
        assert violation.actual_minutes == rest
        assert "10 h 59 min" in violation.message


def test_shift_rest_checks_the_following_shift_too() -> None:
    day1, day2 = MAY_6, MAY_6 + timedelta(days=1)
    existing = [
        WorkDay(day1, normal_minutes=480),
        WorkDay(day2, normal_minutes=480, shift_start=_taipei(day2, 0), shift_end=_taipei(day2, 8)),
    ]
    # Proposed afternoon shift on day 1 ends 14:00+10 h = 00:00 → no rest at all before day 2.
    proposal = OvertimeProposal(
        day1, 120, shift_start=_taipei(day1, 14), shift_end=_taipei(day1, 14) + timedelta(hours=10)
    )
    result = evaluate_overtime(Regime.SHIFT, existing, proposal)
    assert result.codes == {"shift_rest"}
    assert result.violations[0].actual_minutes == 0


def test_same_shift_is_not_a_shift_change() -> None:
    day1, day2 = MAY_6, MAY_6 + timedelta(days=1)
    existing = [
        WorkDay(
            day1, normal_minutes=480, shift_start=_taipei(day1, 8), shift_end=_taipei(day1, 22)
        ),
        WorkDay(day2, normal_minutes=480),
    ]
    proposal = OvertimeProposal(day2, 60, shift_start=_taipei(day2, 8), shift_end=_taipei(day2, 17))
    assert evaluate_overtime(Regime.SHIFT, existing, proposal).allowed


def test_shift_times_in_utc_compare_on_taipei_clock() -> None:
    day1, day2 = MAY_6, MAY_6 + timedelta(days=1)
    # 00:00–08:00 UTC is 08:00–16:00 Taipei; next shift 19:00 UTC = 03:00 Taipei: 11 h rest.
    start1 = datetime(2024, 5, 6, 0, 0, tzinfo=UTC)
    existing = [
        WorkDay(
            day1, normal_minutes=480, shift_start=start1, shift_end=start1 + timedelta(hours=8)
        ),
        WorkDay(day2, normal_minutes=480),
    ]
    start2 = datetime(2024, 5, 6, 18, 59, tzinfo=UTC)
    proposal = OvertimeProposal(day2, 60, shift_start=start2, shift_end=start2 + timedelta(hours=8))
    result = evaluate_overtime(Regime.SHIFT, existing, proposal)
    assert result.codes == {"shift_rest"}


def test_same_shift_recorded_in_different_zones_is_not_a_change() -> None:
    day1, day2 = MAY_6, MAY_6 + timedelta(days=1)
    # 08:00–22:00 Taipei recorded in UTC; the next 08:00 Taipei shift recorded in
    # Taipei time. Same shift, so the 10 h rest between them is not a change.
    start1 = datetime(2024, 5, 6, 0, 0, tzinfo=UTC)
    existing = [
        WorkDay(
            day1, normal_minutes=480, shift_start=start1, shift_end=start1 + timedelta(hours=14)
        ),
        WorkDay(day2, normal_minutes=480),
    ]
    proposal = OvertimeProposal(day2, 60, shift_start=_taipei(day2, 8), shift_end=_taipei(day2, 17))
    assert evaluate_overtime(Regime.SHIFT, existing, proposal).allowed


# ------------------------------------------------------- Taipei month boundary


@pytest.mark.parametrize(
    ("utc_hour", "utc_minute", "expected_day", "refused"),
    [
        (15, 30, date(2024, 1, 31), True),  # 23:30 Taipei: still January
        (16, 30, date(2024, 2, 1), False),  # 00:30 Taipei: February
    ],
)
def test_month_boundary_is_taipei(
    utc_hour: int, utc_minute: int, expected_day: date, refused: bool
) -> None:
    january = spread_month(date(2024, 1, 1), 60 * H, skip=date(2024, 1, 31))
    moment = datetime(2024, 1, 31, utc_hour, utc_minute, tzinfo=UTC)
    proposal = OvertimeProposal.starting_at(moment, 60)
    assert proposal.day == expected_day
    result = evaluate_overtime(Regime.REGULAR, january, proposal)
    assert ("monthly_overtime" in result.codes) is refused


# ------------------------------------------------- special major project window


def test_three_month_windows_slide_without_anchor() -> None:
    # Jan–Mar holds 240 h and April 81 h: fine as fixed cycles from January,
    # but Feb–Apr holds 241 h, so the sliding check refuses.
    existing = [
        *spread_month(date(2024, 1, 1), 80 * H),
        *spread_month(date(2024, 2, 1), 80 * H),
        *spread_month(date(2024, 3, 1), 80 * H),
        *spread_month(date(2024, 4, 1), 80 * H, skip=date(2024, 4, 30)),
    ]
    proposal = OvertimeProposal(date(2024, 4, 30), 60)
    sliding = evaluate_overtime(Regime.SPECIAL_MAJOR_PROJECT, existing, proposal)
    anchored = evaluate_overtime(
        Regime.SPECIAL_MAJOR_PROJECT, existing, proposal, cycle_anchor=date(2024, 1, 1)
    )
    assert sliding.codes == {"three_month_overtime"}
    worst = sliding.violations[0]
    assert worst.actual_minutes == 80 * H + 80 * H + 81 * H  # Feb + Mar + Apr
    assert "2024-02 to 2024-04" in worst.message
    assert anchored.allowed


def test_anchored_cycle_still_counts_its_own_months() -> None:
    existing = [
        *spread_month(date(2024, 4, 1), 100 * H),
        *spread_month(date(2024, 5, 1), 100 * H),
        *spread_month(date(2024, 6, 1), 40 * H, skip=date(2024, 6, 28)),
    ]
    proposal = OvertimeProposal(date(2024, 6, 28), 1)
    result = evaluate_overtime(
        Regime.SPECIAL_MAJOR_PROJECT, existing, proposal, cycle_anchor=date(2024, 1, 15)
    )
    assert result.codes == {"three_month_overtime"}
    assert result.violations[0].actual_minutes == 240 * H + 1


# ---------------------------------------------------------- seasonal consent


@pytest.mark.parametrize(
    ("window", "allowed"),
    [
        (None, False),
        (ConsentWindow(date(2024, 5, 1), date(2024, 6, 30)), True),
        (ConsentWindow(date(2024, 4, 1), date(2024, 6, 30)), True),  # 2 + 1 extension
        (ConsentWindow(date(2024, 3, 1), date(2024, 4, 30)), False),  # ended before May
        (ConsentWindow(date(2024, 6, 1), date(2024, 7, 31)), False),  # starts after May
    ],
)
def test_seasonal_month_over_sixty_needs_a_consent_window(
    window: ConsentWindow | None, allowed: bool
) -> None:
    target = date(2024, 5, 31)
    existing = spread_month(date(2024, 5, 1), 70 * H, skip=target)
    result = evaluate_overtime(
        Regime.SEASONAL,
        existing,
        OvertimeProposal(target, 60),
        consent_windows=[] if window is None else [window],
    )
    assert result.allowed is allowed
    if not allowed:
        assert result.codes == {"seasonal_consent"}


def test_seasonal_consent_window_longer_than_three_months_is_refused() -> None:
    with pytest.raises(ValueError, match="4 months"):
        evaluate_overtime(
            Regime.SEASONAL,
            [],
            OvertimeProposal(MAY_6, 60),
            consent_windows=[ConsentWindow(date(2024, 3, 1), date(2024, 6, 30))],
        )


# ------------------------------------------------------ reports and care


@pytest.mark.parametrize(("overtime", "reported"), [(359, False), (360, False), (361, True)])
def test_day_over_fourteen_hours_is_reported(overtime: int, reported: bool) -> None:
    result = evaluate_overtime(
        Regime.EXCEPTION,
        [WorkDay(MAY_6, normal_minutes=480)],
        OvertimeProposal(MAY_6, overtime, urgent=True),
    )
    codes = [r.code for r in result.reports]
    assert codes == (["long_day"] if reported else [])
    if reported:
        report = result.reports[0]
        assert report.actual_minutes == 14 * H + 1
        assert report.event_day == MAY_6
        assert "2024-06-05" in report.message  # within one month of the day


@pytest.mark.parametrize(
    ("total", "reported"), [(60 * H - 1, False), (60 * H, False), (60 * H + 1, True)]
)
def test_month_over_sixty_hours_is_reported(total: int, reported: bool) -> None:
    existing, proposal, _ = _month(total)(0)
    result = evaluate_overtime(Regime.EXCEPTION, existing, proposal)
    assert result.allowed
    assert [r.code for r in result.reports] == (["high_monthly_overtime"] if reported else [])
    if reported:
        assert result.reports[0].period_start == date(2024, 5, 1)
        assert result.reports[0].period_end == date(2024, 5, 31)


@pytest.mark.parametrize(
    ("total", "care"), [(45 * H - 1, False), (45 * H, True), (45 * H + 1, True)]
)
def test_proactive_care_from_forty_five_hours(total: int, care: bool) -> None:
    existing, proposal, _ = _month(total)(0)
    result = evaluate_overtime(Regime.REGULAR, existing, proposal)
    assert result.allowed
    assert bool(result.care) is care
    if care:
        assert result.care[0].month == date(2024, 5, 1)
        assert result.care[0].overtime_minutes == total


def test_monthly_monitoring_lists() -> None:
    monitoring = monthly_monitoring(
        {"p-over": 60 * H + 1, "p-at-60": 60 * H, "p-care": 45 * H, "p-below": 45 * H - 1}
    )
    assert monitoring.over_limit == ("p-over",)
    assert monitoring.needs_care == ("p-over", "p-at-60", "p-care")


# ---------------------------------------------------------------- overrides


def test_override_may_tighten() -> None:
    limits = limits_with_overrides(Regime.REGULAR, monthly_overtime=50 * H)
    existing, proposal, _ = _month(50 * H)(1)
    result = evaluate_overtime(Regime.REGULAR, existing, proposal, limits=limits)
    assert result.codes == {"monthly_overtime"}
    assert result.violations[0].limit_minutes == 50 * H


@pytest.mark.parametrize(
    ("regime", "field", "value"),
    [
        (Regime.REGULAR, "monthly_overtime", 60 * H + 1),
        (Regime.REGULAR, "daily_total", None),
        (Regime.REGULAR, "weekday_overtime", 5 * H),
        (Regime.EXCEPTION, "max_consecutive_long_days", 4),
        (Regime.SHIFT, "min_rest_between_shifts", 11 * H - 1),
        (Regime.SPECIAL_MAJOR_PROJECT, "three_month_overtime", 241 * H),
        (Regime.SEASONAL, "consent_monthly_overtime", 61 * H),
        (Regime.SEASONAL, "max_consent_months", 4),
        (Regime.EXCEPTION, "report_daily_total_over", 15 * H),
        (Regime.REGULAR, "care_monthly_overtime", 46 * H),
    ],
)
def test_override_may_not_loosen(regime: Regime, field: str, value: int | None) -> None:
    with pytest.raises(ValueError, match=field):
        limits_with_overrides(regime, **{field: value})


@pytest.mark.parametrize(
    ("regime", "field", "value"),
    [
        (Regime.SHIFT, "min_rest_between_shifts", 12 * H),
        (Regime.EXCEPTION, "weekday_overtime", 4 * H),
        (Regime.SEASONAL, "max_consent_months", 2),
        (Regime.EXCEPTION, "max_consecutive_long_days", 2),
    ],
)
def test_tightening_overrides_are_accepted(regime: Regime, field: str, value: int) -> None:
    assert getattr(limits_with_overrides(regime, **{field: value}), field) == value


def test_evaluate_refuses_hand_loosened_limits() -> None:
    loose = dataclasses.replace(default_limits(Regime.REGULAR), monthly_overtime=100 * H)
    with pytest.raises(ValueError, match="monthly_overtime"):
        evaluate_overtime(Regime.REGULAR, [], OvertimeProposal(MAY_6, 60), limits=loose)


def test_limits_of_another_regime_are_refused() -> None:
    with pytest.raises(ValueError, match="exception"):
        evaluate_overtime(
            Regime.REGULAR,
            [],
            OvertimeProposal(MAY_6, 60),
            limits=default_limits(Regime.EXCEPTION),
        )


def test_unknown_override_and_bad_values() -> None:
    with pytest.raises(ValueError, match="weekly_overtime"):
        limits_with_overrides(Regime.REGULAR, weekly_overtime=1)
    with pytest.raises(ValueError, match="daily_total"):
        limits_with_overrides(Regime.REGULAR, daily_total=-1)
    with pytest.raises(ValueError, match="urgent_daily_total"):
        limits_with_overrides(Regime.EXCEPTION, urgent_daily_total=13 * H)


def test_statutory_defaults_pass_their_own_check() -> None:
    for regime in Regime:
        limits = default_limits(regime)
        assert isinstance(limits, WorkHourLimits)
        check_within_statutory(limits)


# ------------------------------------------------------------- input checks


def test_input_validation() -> None:
    with pytest.raises(ValueError):
        OvertimeProposal(MAY_6, 0)
    with pytest.raises(ValueError, match="naive"):
        OvertimeProposal(
            MAY_6, 60, shift_start=datetime(2024, 5, 6, 8), shift_end=datetime(2024, 5, 6, 9)
        )
    with pytest.raises(ValueError, match="twice"):
        evaluate_overtime(
            Regime.REGULAR, [WorkDay(MAY_6), WorkDay(MAY_6)], OvertimeProposal(MAY_6, 60)
        )
    with pytest.raises(ValueError, match="rest day"):
        evaluate_overtime(
            Regime.REGULAR,
            [WorkDay(MAY_6, is_rest_day=True)],
            OvertimeProposal(MAY_6, 60, is_rest_day=False),
        )
