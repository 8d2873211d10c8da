"""When a certificate lapses, and which warning is due: Taipei calendar days.

A certificate obtained on day D with a validity of N months is valid through
the day before D + N months; on D + N months (`expires_on`) it has lapsed.
D + N months keeps the day of the month, clamped to the month's last day:
obtained 2028-02-29 for 12 months lapses on 2029-02-28, obtained 2026-01-31
for 1 month on 2026-02-28. A validity of none never lapses.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date


def add_months(day: date, months: int) -> date:
    """`day` moved `months` calendar months on, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def expires_on(obtained_on: date, validity_months: int | None) -> date | None:
    """The first Taipei day the certificate is no longer valid; None: never."""
    if validity_months is None:
        return None
    return add_months(obtained_on, validity_months)


def is_lapsed(expiry: date | None, today: date) -> bool:
    return expiry is not None and today >= expiry


def valid_on(obtained_on: date, expiry: date | None, day: date) -> bool:
    return obtained_on <= day and not is_lapsed(expiry, day)


def due_warning(expiry: date | None, today: date, lead_days: Iterable[int]) -> int | None:
    """The lead time whose warning is due today: the smallest lead L with
    `expiry - today <= L`, while the certificate has not lapsed. The smallest,
    so that a run after a gap sends only the most urgent warning, and a later
    run never sends a longer lead's warning after a shorter one's."""
    if expiry is None or is_lapsed(expiry, today):
        return None
    left = (expiry - today).days
    reached = [lead for lead in set(lead_days) if left <= lead]
    return min(reached) if reached else None
