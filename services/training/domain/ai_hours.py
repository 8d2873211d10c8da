"""AI hours (AI知能學習時數) of a person's year, as the compliance rules count them.

A record counts when it is not withdrawn and carries an AI tag: its hours go to
the AI minimum in full, once, however many AI tags it carries. A record tagged
both levels counts as advanced only (as the 3 + 3 target does), so
basic + advanced is the AI total. The year is the record's Taipei year. No
agency cut-off is applied: the feed reports the calendar year's hours, and
whoever appraises applies its own cut-off.

Change stamps: every write that changes someone's AI hours stamps the rows it
changes with one moment, strictly later than every stamp before it, taken while
the writer holds the feed's lock until it commits. Commits therefore become
visible in stamp order, and what a reader sees is always a prefix of the feed's
order: a keyset page never skips a change that commits later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from services.training.domain.topics import TOPIC_BITS, Topic

BASIC_BIT = TOPIC_BITS[Topic.AI_BASIC]
ADVANCED_BIT = TOPIC_BITS[Topic.AI_ADVANCED]
AI_BITS = BASIC_BIT | ADVANCED_BIT
# The smallest step both databases keep (microseconds).
STAMP_STEP = timedelta(microseconds=1)
_CENT = Decimal("0.01")


def split_centi(mask: int, centi: int) -> tuple[int, int]:
    """(basic, advanced) hundredths one record adds to its person's year."""
    if mask & ADVANCED_BIT:
        return 0, centi
    if mask & BASIC_BIT:
        return centi, 0
    return 0, 0


def hours(centi: int) -> Decimal:
    """Hundredths of an hour as hours with two places."""
    return (Decimal(centi) / 100).quantize(_CENT)


def hours_text(centi: int) -> str:
    """`hours(centi)` as the API writes it ("12.50"), without making the Decimal."""
    whole, cents = divmod(abs(centi), 100)
    return f"{'-' if centi < 0 else ''}{whole}.{cents:02d}"


def next_stamp(now: datetime, latest: datetime | None) -> datetime:
    """The stamp of the next change: now, unless the latest stamp is not earlier
    (a clock that stepped back, another replica's clock ahead), then just after it."""
    if now.utcoffset() is None:
        raise ValueError("now: a timezone is required")
    if latest is None or latest < now:
        return now
    return latest + STAMP_STEP
