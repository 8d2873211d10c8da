"""Time in the policies' own terms: Asia/Taipei calendar days and ROC (民國) years.

Every date rule in renshi is decided on the Taipei calendar, whatever zone a
timestamp arrives in; a UTC timestamp at 16:30 on 31 Dec is already 1 Jan in
Taipei and belongs to the next year.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")
ROC_OFFSET = 1911

_ROC_DATE = re.compile(
    r"^\s*(?:民國)?\s*(\d{1,3})\s*[/.\-年]\s*(\d{1,2})\s*[/.\-月]\s*(\d{1,2})\s*日?\s*$"
)


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_taipei(moment: datetime) -> datetime:
    """Convert an aware datetime to Taipei time; naive datetimes are refused
    because guessing their zone is how year-boundary bugs start."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: a timezone is required")
    return moment.astimezone(TAIPEI)


def taipei_date(moment: datetime) -> date:
    """The Taipei calendar day of an aware datetime."""
    return to_taipei(moment).date()


def today_taipei() -> date:
    return taipei_date(now_utc())


def roc_year(day: date) -> int:
    """ROC year of a Gregorian date (2026 → 115)."""
    return day.year - ROC_OFFSET


def gregorian_year(roc: int) -> int:
    """Gregorian year of an ROC year (115 → 2026). ROC years start at 1 (1912)."""
    if roc < 1:
        raise ValueError("ROC year must be 1 or later")
    return roc + ROC_OFFSET


def format_roc(day: date, sep: str = "/") -> str:
    """'115/01/02' for 2026-01-02: the form personnel offices write."""
    return f"{roc_year(day):03d}{sep}{day.month:02d}{sep}{day.day:02d}"


def format_roc_long(day: date) -> str:
    """'民國115年1月2日'."""
    return f"民國{roc_year(day)}年{day.month}月{day.day}日"


def parse_roc_date(text: str) -> date:
    """Parse '115/01/02', '115-1-2', '115.01.02' or '民國115年1月2日'.

    Raises ValueError with a reason a user can act on.
    """
    match = _ROC_DATE.match(text)
    if match is None:
        raise ValueError(f"not an ROC date (expected e.g. 115/01/02): {text!r}")
    roc, month, day = (int(part) for part in match.groups())
    return date(gregorian_year(roc), month, day)


def parse_any_date(text: str) -> date:
    """ISO 8601 (2026-01-02) or an ROC date: importers see both."""
    stripped = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stripped):
        return date.fromisoformat(stripped)
    return parse_roc_date(stripped)
