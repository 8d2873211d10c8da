"""The 11 h rest at a shift change, measured from the end of all work of a day
(overtime included) to the start of the next work. Figures are written out
here: a shift worker's minimum is 11 h = 660 min."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.attendance.domain.workdays import ClockedDay, OvertimeDay, work_days
from services.attendance.domain.worktime import (
    OvertimeProposal,
    Regime,
    TimedOvertime,
    WorkDay,
    default_limits,
    evaluate_overtime,
    rest_between,
    shift_rest_shortfalls,
    work_spans,
)
from services.common.timeutil import TAIPEI

H = 60
DAY1 = date(2024, 5, 6)  # a Monday
DAY2 = DAY1 + timedelta(days=1)


def _taipei(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TAIPEI)


def _shift(
    day: date,
    start: datetime,
    *,
    overtime_minutes: int = 0,
    timed_overtime: tuple[TimedOvertime, ...] = (),
) -> WorkDay:
    """An 8 h clocked shift from ``start``."""
    return WorkDay(
        day,
        normal_minutes=8 * H,
        overtime_minutes=overtime_minutes,
        shift_start=start,
        shift_end=start + timedelta(hours=8),
        timed_overtime=timed_overtime,
    )


# Day 1 08:00–16:00, day 2 06:00–14:00 Taipei: 14 h apart before any overtime.
APART_14H = [_shift(DAY1, _taipei(DAY1, 8)), _shift(DAY2, _taipei(DAY2, 6))]


def _after_earlier_untimed(minutes: int) -> OvertimeProposal:
    # No start: it extends day 1's shift, 16:00 → 16:00 + minutes.
    return OvertimeProposal(DAY1, minutes)


def _after_earlier_timed(minutes: int) -> OvertimeProposal:
    # From 17:00, an hour after the shift: leaves 13 h − minutes.
    return OvertimeProposal(DAY1, minutes, starts_at=_taipei(DAY1, 17))


def _before_later_timed(minutes: int) -> OvertimeProposal:
    # Ends at day 2's 06:00 shift start.
    return OvertimeProposal(DAY2, minutes, starts_at=_taipei(DAY2, 6) - timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("placement", "minutes", "rest", "allowed"),
    [
        (_after_earlier_untimed, 210, 10 * H + 30, False),
        (_after_earlier_untimed, 180, 11 * H, True),
        (_after_earlier_untimed, 150, 11 * H + 30, True),
        (_after_earlier_timed, 150, 10 * H + 30, False),
        (_after_earlier_timed, 120, 11 * H, True),
        (_after_earlier_timed, 90, 11 * H + 30, True),
        (_before_later_timed, 210, 10 * H + 30, False),
        (_before_later_timed, 180, 11 * H, True),
        (_before_later_timed, 150, 11 * H + 30, True),
    ],
    ids=[
        "after-earlier-untimed-10h30",
        "after-earlier-untimed-11h",
        "after-earlier-untimed-11h30",
        "after-earlier-timed-10h30",
        "after-earlier-timed-11h",
        "after-earlier-timed-11h30",
        "before-later-timed-10h30",
        "before-later-timed-11h",
        "before-later-timed-11h30",
    ],
)
def test_overtime_counts_in_the_rest_at_a_shift_change(
    placement: Callable[[int], OvertimeProposal], minutes: int, rest: int, allowed: bool
) -> None:
    proposal = placement(minutes)
    result = evaluate_overtime(Regime.SHIFT, APART_14H, proposal)
    assert result.allowed is allowed, result.violations
    if not allowed:
        (violation,) = result.violations
        assert violation.code == "shift_rest"
        assert (violation.limit_minutes, violation.actual_minutes) == (11 * H, rest)
        assert "10 h 30 min rest" in violation.message
        assert "(shift)" in violation.message


def test_earlier_overtime_stacks_before_the_proposal() -> None:
    # 2 h untimed overtime already recorded on day 1 (16:00–18:00); 90 min more
    # follows it to 19:30, leaving 10 h 30 min before day 2's 06:00 shift.
    existing = [
        _shift(DAY1, _taipei(DAY1, 8), overtime_minutes=120),
        _shift(DAY2, _taipei(DAY2, 6)),
    ]
    assert evaluate_overtime(Regime.SHIFT, existing, OvertimeProposal(DAY1, 60)).allowed
    result = evaluate_overtime(Regime.SHIFT, existing, OvertimeProposal(DAY1, 90))
    assert [(v.code, v.actual_minutes) for v in result.violations] == [("shift_rest", 630)]


def test_untimed_overtime_follows_timed_overtime_that_extends_the_shift() -> None:
    # Timed 16:00–18:00 continues the shift; an untimed hour comes after it.
    day1 = _shift(
        DAY1,
        _taipei(DAY1, 8),
        overtime_minutes=180,
        timed_overtime=(TimedOvertime(_taipei(DAY1, 16), 120),),
    )
    assert work_spans(day1)[-1] == (_taipei(DAY1, 18), _taipei(DAY1, 19))


# Day 1 08:00–16:00, day 2 02:00–10:00: the clocked shifts alone leave 10 h.
TOO_CLOSE = [_shift(DAY1, _taipei(DAY1, 8)), _shift(DAY2, _taipei(DAY2, 2))]


@pytest.mark.parametrize(
    ("proposal", "rest"),
    [
        (OvertimeProposal(DAY2, 60), None),  # after day 2's shift: 10:00–11:00
        (OvertimeProposal(DAY1, 120, starts_at=_taipei(DAY1, 6)), None),  # before day 1's
        (OvertimeProposal(DAY1, 60), 9 * H),  # extends day 1 to 17:00
        (OvertimeProposal(DAY2, 60, starts_at=_taipei(DAY2, 1)), 9 * H),  # from 01:00
    ],
    ids=["after-later", "before-earlier", "extends-earlier", "precedes-later"],
)
def test_clocked_shifts_too_close_refuse_only_overtime_that_shortens_the_rest(
    proposal: OvertimeProposal, rest: int | None
) -> None:
    result = evaluate_overtime(Regime.SHIFT, TOO_CLOSE, proposal)
    if rest is None:
        assert result.allowed, result.violations
        return
    (violation,) = result.violations
    assert (violation.code, violation.limit_minutes, violation.actual_minutes) == (
        "shift_rest",
        11 * H,
        rest,
    )
    # The figure is the rest the overtime would leave, not the clocked 10 h.
    assert "9 h rest" in violation.message


def test_clocked_shifts_too_close_are_reported_as_a_shortfall() -> None:
    limits = default_limits(Regime.SHIFT)
    (shortfall,) = shift_rest_shortfalls(TOO_CLOSE, DAY2, limits)
    assert (shortfall.code, shortfall.limit_minutes, shortfall.actual_minutes) == (
        "shift_rest",
        11 * H,
        10 * H,
    )
    assert shortfall.regime is Regime.SHIFT
    assert "10 h rest" in shortfall.message
    assert shift_rest_shortfalls(APART_14H, DAY2, limits) == ()
    # No minimum in the regular regime.
    assert shift_rest_shortfalls(TOO_CLOSE, DAY2, default_limits(Regime.REGULAR)) == ()


def test_rest_runs_across_taipei_midnight_whatever_zone_times_are_in() -> None:
    # Day 1 14:00–22:00 Taipei given in UTC (06:00–14:00Z); day 2 11:00 Taipei.
    start1 = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
    existing = [_shift(DAY1, start1), _shift(DAY2, _taipei(DAY2, 11))]
    # 150 min after the shift ends at 00:30 Taipei on day 2: 10 h 30 min rest.
    result = evaluate_overtime(Regime.SHIFT, existing, OvertimeProposal(DAY1, 150))
    assert [(v.code, v.actual_minutes) for v in result.violations] == [("shift_rest", 630)]
    # The same overtime given by its UTC start (14:30Z = 22:30 Taipei, day 1).
    timed = OvertimeProposal.starting_at(datetime(2024, 5, 6, 14, 30, tzinfo=UTC), 120)
    assert timed.day == DAY1
    result = evaluate_overtime(Regime.SHIFT, existing, timed)
    assert [(v.code, v.actual_minutes) for v in result.violations] == [("shift_rest", 630)]
    # 16:30Z on the 6th is 00:30 Taipei on the 7th: day 2's first work, 2 h 30
    # min after day 1's shift.
    early = OvertimeProposal.starting_at(datetime(2024, 5, 6, 16, 30, tzinfo=UTC), 60)
    assert early.day == DAY2
    result = evaluate_overtime(Regime.SHIFT, existing, early)
    assert [(v.code, v.actual_minutes) for v in result.violations] == [("shift_rest", 150)]
    # 11 h exactly (ends 00:00 Taipei) is allowed.
    assert evaluate_overtime(Regime.SHIFT, existing, OvertimeProposal(DAY1, 120)).allowed


def test_same_shift_is_not_a_change_even_with_overtime() -> None:
    # Both shifts start at 08:00 Taipei: no rest requirement, however late day 1 ends.
    existing = [_shift(DAY1, _taipei(DAY1, 8)), _shift(DAY2, _taipei(DAY2, 8))]
    assert evaluate_overtime(Regime.SHIFT, existing, OvertimeProposal(DAY1, 240)).allowed


def test_timed_overtime_must_start_on_its_day() -> None:
    with pytest.raises(ValueError, match="Taipei day"):
        OvertimeProposal(DAY1, 60, starts_at=_taipei(DAY2, 1))
    with pytest.raises(ValueError, match="Taipei day"):
        WorkDay(DAY1, overtime_minutes=60, timed_overtime=(TimedOvertime(_taipei(DAY2, 1), 60),))
    with pytest.raises(ValueError, match="more than"):
        WorkDay(DAY1, overtime_minutes=30, timed_overtime=(TimedOvertime(_taipei(DAY1, 1), 60),))


def test_stored_overtime_start_reaches_the_engine() -> None:
    clocked = [
        ClockedDay(DAY1, 480, False, _taipei(DAY1, 8), _taipei(DAY1, 16)),
        ClockedDay(DAY2, 480, False, _taipei(DAY2, 6), _taipei(DAY2, 14)),
    ]
    overtime = [
        OvertimeDay(DAY1, 60, False),
        OvertimeDay(DAY2, 150, False, starts_at=_taipei(DAY2, 3, 30)),
    ]
    days = work_days(clocked, overtime)
    assert days[1].timed_overtime == (TimedOvertime(_taipei(DAY2, 3, 30), 150),)
    assert days[1].untimed_overtime_minutes == 0
    # Day 1 ends at 17:00 (an untimed hour after the shift), day 2 starts 03:30.
    assert rest_between(days[0], days[1]) == 10 * H + 30
    # Day 2's early overtime is its first work, so it is what shortens the rest.
    (shortfall,) = shift_rest_shortfalls(days, DAY1, default_limits(Regime.SHIFT))
    assert shortfall.actual_minutes == 10 * H + 30


# ------------------------------------------------------------------ property

_starts = st.integers(min_value=0, max_value=24 * H - 1)
_lengths = st.integers(min_value=1, max_value=6 * H)


def _on(day: date, start_minute: int) -> datetime:
    return _taipei(day, 0) + timedelta(minutes=start_minute)


@given(
    shift1=st.tuples(_starts, _lengths),
    shift2=st.tuples(_starts, _lengths),
    ot1=st.lists(st.tuples(_starts, _lengths), max_size=3),
    ot2=st.lists(st.tuples(_starts, _lengths), max_size=3),
    untimed1=st.integers(min_value=0, max_value=4 * H),
)
def test_rest_is_first_start_minus_last_end(
    shift1: tuple[int, int],
    shift2: tuple[int, int],
    ot1: list[tuple[int, int]],
    ot2: list[tuple[int, int]],
    untimed1: int,
) -> None:
    def day(d: date, shift: tuple[int, int], ot: list[tuple[int, int]], untimed: int) -> WorkDay:
        timed = tuple(TimedOvertime(_on(d, s), m) for s, m in ot)
        start = _on(d, shift[0])
        return WorkDay(
            d,
            normal_minutes=shift[1],
            overtime_minutes=sum(m for _, m in ot) + untimed,
            shift_start=start,
            shift_end=start + timedelta(minutes=shift[1]),
            timed_overtime=timed,
        )

    earlier = day(DAY1, shift1, ot1, untimed1)
    later = day(DAY2, shift2, ot2, 0)
    ends = [_on(DAY1, s + m) for s, m in [shift1, *ot1]]
    # Untimed overtime only ever adds to the end of the day, by at most its length.
    last_end = max(e for _, e in work_spans(earlier))
    assert max(ends) <= last_end <= max(ends) + timedelta(minutes=untimed1)
    if untimed1 == 0:
        assert last_end == max(ends)
    first_start = min(_on(DAY2, s) for s, _ in [shift2, *ot2])
    expected = int((first_start - last_end).total_seconds() // 60)
    assert rest_between(earlier, later) == expected
    # Every span of a day's work lies within its computed first start and last end.
    spans = work_spans(earlier)
    assert sum(int((e - s).total_seconds() // 60) for s, e in spans) == (
        shift1[1] + sum(m for _, m in ot1) + untimed1
    )
