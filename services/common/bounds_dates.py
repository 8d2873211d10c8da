"""Dates, months and instants the domain can use, checked at the edge.

Python dates run from year 1 to 9999, but the rules need far less and break
long before those ends: a day of 9999-12-31 overflows as soon as comp time adds
its two-year validity, and an instant such as 9999-12-31T23:59:59-12:00 (or
0001-01-01T00:00:00+14:00) cannot even be converted to Asia/Taipei (or UTC).
So every day, month and instant a client sends must lie on the Taipei calendar
between **1912-01-01 (ROC year 1, the first a personnel office can write) and
2100-12-31**. The upper end keeps every derived date — expiry up to 24 months
later, report windows of up to 24 months, a day either side for time zones —
far from datetime's year 9999 and inside every database's date types.

The refusals say which rule was broken and never echo the value.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from services.common.timeutil import TAIPEI, roc_year

EARLIEST_DAY = date(1912, 1, 1)
LATEST_DAY = date(2100, 12, 31)
RANGE_TEXT = f"between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _check_day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"the day must be {RANGE_TEXT} (ROC 1 to {roc_year(LATEST_DAY)})")
    return value


def _check_instant(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a timezone offset is required, e.g. +08:00")
    # The wall-clock year first: converting a time at either end of datetime's
    # range would itself overflow. A day's margin covers any offset.
    near = date(value.year, value.month, value.day)
    if not EARLIEST_DAY - timedelta(days=1) <= near <= LATEST_DAY + timedelta(days=1):
        raise ValueError(f"the time must fall, in Asia/Taipei, {RANGE_TEXT}")
    if not EARLIEST_DAY <= value.astimezone(TAIPEI).date() <= LATEST_DAY:
        raise ValueError(f"the time must fall, in Asia/Taipei, {RANGE_TEXT}")
    return value


def _check_month(value: str) -> str:
    match = _MONTH.match(value)
    if match is None:  # the pattern has already refused it; kept for direct use
        raise ValueError("a month is written YYYY-MM")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError("the month must be 01 to 12")
    if not EARLIEST_DAY.year <= year <= LATEST_DAY.year:
        raise ValueError(f"the month must be {RANGE_TEXT}")
    return value


BoundedDate = Annotated[
    date,
    AfterValidator(_check_day),
    WithJsonSchema({"type": "string", "format": "date", "description": f"ISO date {RANGE_TEXT}"}),
]
"""A calendar day from ROC 1 (1912-01-01) to 2100-12-31."""

BoundedAwareDatetime = Annotated[
    datetime,
    AfterValidator(_check_instant),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": f"ISO date-time with an offset; its Asia/Taipei day {RANGE_TEXT}",
        }
    ),
]
"""An instant with an explicit offset whose Asia/Taipei day is in the range."""

BoundedMonth = Annotated[
    str,
    StringConstraints(pattern=_MONTH.pattern),
    AfterValidator(_check_month),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _MONTH.pattern,
            "description": f"YYYY-MM, month 01-12, {RANGE_TEXT}",
        }
    ),
]
"""A calendar month YYYY-MM within the range."""


def month_start(month: str) -> date:
    """The first day of a validated `BoundedMonth`."""
    _check_month(month)
    return date(int(month[:4]), int(month[5:7]), 1)


def next_month_start(month: str) -> date:
    """The first day of the month after a validated `BoundedMonth`."""
    first = month_start(month)
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


__all__ = [
    "EARLIEST_DAY",
    "LATEST_DAY",
    "BoundedAwareDatetime",
    "BoundedDate",
    "BoundedMonth",
    "month_start",
    "next_month_start",
]
