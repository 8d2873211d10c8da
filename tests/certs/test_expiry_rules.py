"""When a certificate lapses and which warning is due: pure rules on Taipei
calendar days, table-driven and as properties."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.certs.domain.expiry import add_months, due_warning, expires_on, is_lapsed, valid_on
from services.common.timeutil import TAIPEI, taipei_date

DAYS = st.dates(min_value=date(1912, 1, 1), max_value=date(2090, 12, 31))
MONTHS = st.integers(min_value=1, max_value=600)
LEADS = st.lists(st.integers(min_value=1, max_value=366), min_size=1, max_size=5)


@pytest.mark.parametrize(
    ("obtained", "months", "lapses"),
    [
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # leap day, clamped
        (date(2028, 2, 29), 48, date(2032, 2, 29)),  # to the next leap day
        (date(2028, 2, 29), 1, date(2028, 3, 29)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # end of month clamp
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 36, date(2029, 8, 31)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),  # year boundary
        (date(2026, 12, 15), 24, date(2028, 12, 15)),
        (date(2026, 3, 31), 11, date(2027, 2, 28)),
    ],
)
def test_expiry_day_table(obtained: date, months: int, lapses: date) -> None:
    assert expires_on(obtained, months) == lapses
    assert valid_on(obtained, lapses, lapses - timedelta(days=1))
    assert not valid_on(obtained, lapses, lapses)


def test_a_certificate_without_validity_never_lapses() -> None:
    assert expires_on(date(2026, 1, 1), None) is None
    assert valid_on(date(2026, 1, 1), None, date(2100, 12, 31))
    assert due_warning(None, date(2026, 1, 1), [90, 30, 7]) is None


def test_the_day_is_the_taipei_day() -> None:
    """16:30 UTC on 31 Dec is already 1 Jan in Taipei: a certificate lapsing on
    1 Jan has lapsed then, though UTC still says 31 Dec."""
    moment = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    lapses = expires_on(date(2026, 1, 1), 12)
    assert lapses == date(2027, 1, 1)
    assert not is_lapsed(lapses, moment.date())
    assert is_lapsed(lapses, taipei_date(moment))


@pytest.mark.parametrize(
    ("days_left", "leads", "due"),
    [
        (91, [90, 30, 7], None),
        (90, [90, 30, 7], 90),
        (31, [90, 30, 7], 90),
        (30, [90, 30, 7], 30),
        (8, [90, 30, 7], 30),
        (7, [90, 30, 7], 7),
        (1, [90, 30, 7], 7),
        (0, [90, 30, 7], None),  # the day it lapses: the expiry notice, no warning
        (5, [60], 60),
        (45, [7, 30], None),
    ],
)
def test_due_warning_table(days_left: int, leads: list[int], due: int | None) -> None:
    today = date(2028, 2, 29)
    assert due_warning(today + timedelta(days=days_left), today, leads) == due


@given(DAYS, MONTHS)
def test_expiry_keeps_the_day_or_clamps_to_the_month_end(obtained: date, months: int) -> None:
    lapses = add_months(obtained, months)
    assert (lapses.year - obtained.year) * 12 + lapses.month - obtained.month == months
    last = calendar.monthrange(lapses.year, lapses.month)[1]
    assert lapses.day == min(obtained.day, last)
    assert lapses > obtained


@given(DAYS, MONTHS, st.integers(min_value=0, max_value=20000))
def test_valid_exactly_until_the_day_before_expiry(
    obtained: date, months: int, offset: int
) -> None:
    lapses = expires_on(obtained, months)
    assert lapses is not None
    day = obtained + timedelta(days=offset)
    assert valid_on(obtained, lapses, day) == (day < lapses)


@given(DAYS, st.integers(min_value=-5, max_value=400), LEADS)
def test_the_due_warning_is_the_shortest_lead_reached(
    today: date, left: int, leads: list[int]
) -> None:
    due = due_warning(today + timedelta(days=left), today, leads)
    reached = [lead for lead in leads if 0 < left <= lead]
    assert due == (min(reached) if reached else None)


@given(DAYS, LEADS)
def test_over_the_days_before_expiry_each_lead_is_due_in_turn(
    lapses: date, leads: list[int]
) -> None:
    """Run every day up to the lapse: the due warnings never grow again, and
    each lead is due exactly from its own day on until a shorter one's."""
    seen: list[int] = []
    for left in range(max(leads) + 1, 0, -1):
        due = due_warning(lapses, lapses - timedelta(days=left), leads)
        if due is not None and (not seen or seen[-1] != due):
            seen.append(due)
    assert seen == sorted(set(leads), reverse=True)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    DAYS.filter(lambda d: d.year >= 2000),
    st.integers(min_value=1, max_value=120),
)
def test_lapsed_from_taipei_midnight_of_the_expiry_day(
    moment: datetime, obtained: date, months: int
) -> None:
    """Whatever the instant, a certificate has lapsed exactly from 00:00 Taipei
    time of its expiry day (16:00 UTC the day before)."""
    lapses = expires_on(obtained, months)
    assert lapses is not None
    midnight = datetime(lapses.year, lapses.month, lapses.day, tzinfo=TAIPEI)
    assert is_lapsed(lapses, taipei_date(moment)) == (moment >= midnight)
