from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.timeutil import (
    format_roc,
    format_roc_long,
    gregorian_year,
    parse_any_date,
    parse_roc_date,
    roc_year,
    taipei_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("115/01/02", date(2026, 1, 2)),
        ("115-1-2", date(2026, 1, 2)),
        ("115.01.02", date(2026, 1, 2)),
        ("民國115年1月2日", date(2026, 1, 2)),
        ("113/02/29", date(2024, 2, 29)),
        ("1/01/01", date(1912, 1, 1)),
        ("89/12/31", date(2000, 12, 31)),
    ],
)
def test_parse_roc_date(text, expected):
    assert parse_roc_date(text) == expected


@pytest.mark.parametrize("text", ["114/02/29", "115/13/01", "0/01/01", "2026/01/02x", "", "abc"])
def test_parse_roc_date_refuses(text):
    with pytest.raises(ValueError):
        parse_roc_date(text)


def test_parse_any_date_takes_iso_and_roc():
    assert parse_any_date("2026-01-02") == parse_any_date("115/01/02") == date(2026, 1, 2)


def test_formats():
    assert format_roc(date(2026, 1, 2)) == "115/01/02"
    assert format_roc_long(date(2024, 2, 29)) == "民國113年2月29日"
    assert roc_year(date(2026, 12, 31)) == 115 and gregorian_year(115) == 2026


@given(st.dates(min_value=date(1912, 1, 1), max_value=date(2910, 12, 31)))  # ROC 1..999
def test_roc_round_trip(day):
    assert parse_roc_date(format_roc(day)) == day
    assert parse_roc_date(format_roc_long(day)) == day


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 12, 31, 15, 30, tzinfo=UTC), date(2025, 12, 31)),  # 23:30 Taipei
        (datetime(2025, 12, 31, 16, 30, tzinfo=UTC), date(2026, 1, 1)),  # 00:30 Taipei
        (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=8))), date(2026, 1, 1)),
    ],
)
def test_taipei_date_across_the_year_boundary(moment, expected):
    assert taipei_date(moment) == expected


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        taipei_date(datetime(2026, 1, 1, 0, 0))
