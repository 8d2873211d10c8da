"""One learning-record import row: from its values to a checked row, or to per-field errors.

Columns (CSV header names, JSON-lines keys): external_id, person_id and/or
national_id, course_id (the platform's course id), course_title, category (portal
category code), topics (`;`-separated topic tags), hours, completed_at, digital.
Unknown columns are ignored. `completed_at` is an ISO date, an ISO date-time
(without an offset it is Taipei time, as the platforms export it) or an ROC date
such as 115/03/02.

A row names its person by `person_id`, by `national_id`, or by both. A national ID
is only carried here, to be matched by the directory (see `batch`): it is never
stored, logged or echoed in an error, and a row that carries one keeps it wrapped
in `NationalIdText`, whose repr hides it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from services.common.importing.rows import RowError
from services.common.timeutil import TAIPEI, parse_any_date, taipei_date
from services.training.domain.topics import Topic

# A file names persons by one of `person_id` and `national_id`, or both.
PERSON_COLUMNS = ("person_id", "national_id")
REQUIRED = ("external_id", PERSON_COLUMNS, "course_id", "hours", "completed_at")
OPTIONAL = ("course_title", "category", "topics", "digital")
# Longer is no national ID, even with stray blanks; refused here so that the batch
# sent to the directory stays within what it accepts.
MAX_NATIONAL_ID_CHARS = 32
# A single record above this is a typo (150 for 1.5), not a course.
MAX_RECORD_HOURS = Decimal(100)
_CENT = Decimal("0.01")
_TRUE = frozenset({"y", "yes", "true", "1", "是", "數位"})
_TOPIC_NAMES = {topic.value: topic for topic in Topic}
_FALSE = frozenset({"n", "no", "false", "0", "否", "實體", ""})


@dataclass(frozen=True, slots=True)
class NationalIdText:
    """A national ID as the file gave it, not yet checked: kept out of reprs, so a
    logged or traced row cannot show it."""

    value: str = field(repr=False)


class ParsedRow(NamedTuple):
    # A named tuple rather than a frozen dataclass: as immutable, and built several
    # times faster, which shows over a million rows.
    row: int
    external_id: str
    person_id: str
    course_external_id: str
    course_title: str
    category: str
    topics: frozenset[Topic]
    hours: Decimal
    completed_on: date
    completed_at: datetime | None
    is_digital: bool
    # Of what the record keeps: a re-import compares this only. Empty while the
    # person is still to be matched by national ID (`batch` fills both in).
    digest: str
    national_id: NationalIdText | None = None  # to match; None once matched


# The checks below are pure functions of their text, and platform exports repeat
# the same few hour values, days and tag lists over millions of rows: cached.


@lru_cache(maxsize=4096)
def _hours(text: str) -> Decimal | str:
    try:
        hours = Decimal(text.strip())
    except InvalidOperation:
        return "not a number"
    if not hours.is_finite():
        return "not a number"
    if hours <= 0:
        return "must be more than 0"
    if hours > MAX_RECORD_HOURS:
        return f"more than {MAX_RECORD_HOURS} h in one record"
    if hours != hours.quantize(_CENT):
        return "at most two decimals"
    return hours.quantize(_CENT)


@lru_cache(maxsize=4096)
def _completed(text: str, today: date) -> tuple[date, datetime | None] | str:
    stripped = text.strip()
    moment: datetime | None = None
    try:
        if ":" in stripped:
            moment = datetime.fromisoformat(stripped)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=TAIPEI)
            day = taipei_date(moment)
        else:
            day = parse_any_date(stripped)
    except ValueError:
        return "not a date (e.g. 2026-03-02, 2026-03-02T14:00+08:00 or 115/03/02)"
    if day.year < 1912:
        return "before 1912"
    if day > today:
        return "in the future"
    return day, moment


@lru_cache(maxsize=1024)
def _topics(text: str) -> frozenset[Topic] | str:
    out = set()
    for part in text.replace("|", ";").split(";"):
        name = part.strip().lower()
        if not name:
            continue
        topic = _TOPIC_NAMES.get(name)
        if topic is None:
            return "unknown topic tag"
        out.add(topic)
    return frozenset(out)


def digest(person_id: str, course: str, hours: Decimal, day: date, moment: datetime | None) -> str:
    text = f"{person_id}\x1f{course}\x1f{_digest_tail(hours, day, moment)}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@lru_cache(maxsize=4096)
def _digest_tail(hours: Decimal, day: date, moment: datetime | None) -> str:
    return f"{hours}\x1f{day.isoformat()}\x1f{moment.isoformat() if moment else ''}"


def check(row: int, values: Mapping[str, str], today: date) -> ParsedRow | list[RowError]:
    """Every field checked; all the row's errors reported at once.

    Nearly every row of a platform export is good: it is checked on a straight
    path, and only a row that fails somewhere goes through `_check_each`, which
    names every problem.
    """
    get = values.get
    external_id = get("external_id", "").strip()
    person_id = get("person_id", "").strip()
    national = get("national_id", "").strip()
    course_id = get("course_id", "").strip()
    title = get("course_title", "").strip()
    category = get("category", "").strip()
    hours = _hours(get("hours", ""))
    completed = _completed(get("completed_at", ""), today)
    topics = _topics(get("topics", ""))
    digital_text = get("digital", "").strip().lower()
    if (
        0 < len(external_id) <= 64
        and len(person_id) <= 64
        and (person_id or national)
        and len(national) <= MAX_NATIONAL_ID_CHARS
        and 0 < len(course_id) <= 64
        and len(title) <= 300
        and len(category) <= 32
        and isinstance(hours, Decimal)
        and not isinstance(completed, str)
        and not isinstance(topics, str)
        and (digital_text in _TRUE or digital_text in _FALSE)
    ):
        day, moment = completed
        # Positional: keywords would cost as much again.
        return ParsedRow(
            row,
            external_id,
            person_id,
            course_id,
            title,
            category,
            topics,
            hours,
            day,
            moment,
            digital_text in _TRUE,
            digest(person_id, course_id, hours, day, moment) if not national else "",
            NationalIdText(national) if national else None,
        )
    return _check_each(row, values, today)


def _check_each(row: int, values: Mapping[str, str], today: date) -> ParsedRow | list[RowError]:
    errors: list[RowError] = []

    def text(name: str, limit: int, required: bool) -> str:
        value = values.get(name, "").strip()
        if required and not value:
            errors.append(RowError(row, name, "missing", "missing"))
        elif len(value) > limit:
            errors.append(RowError(row, name, f"longer than {limit} characters", "too_long"))
        return value

    external_id = text("external_id", 64, True)
    national = values.get("national_id", "").strip()
    # Either names the person; a row with neither is reported as lacking person_id.
    person_id = text("person_id", 64, not national)
    if len(national) > MAX_NATIONAL_ID_CHARS:
        # The length only: the value is never echoed.
        errors.append(
            RowError(
                row,
                "national_id",
                f"longer than {MAX_NATIONAL_ID_CHARS} characters",
                "too_long",
            )
        )
    course_id = text("course_id", 64, True)
    title = text("course_title", 300, False)
    category = text("category", 32, False)

    hours: Decimal = Decimal(0)
    raw_hours = values.get("hours", "")
    if raw_hours.strip():
        checked_hours = _hours(raw_hours)
        if isinstance(checked_hours, str):
            errors.append(RowError(row, "hours", checked_hours, "hours"))
        else:
            hours = checked_hours
    else:
        errors.append(RowError(row, "hours", "missing", "missing"))

    day = today
    moment: datetime | None = None
    raw_completed = values.get("completed_at", "")
    if raw_completed.strip():
        completed = _completed(raw_completed, today)
        if isinstance(completed, str):
            errors.append(RowError(row, "completed_at", completed, "date"))
        else:
            day, moment = completed
    else:
        errors.append(RowError(row, "completed_at", "missing", "missing"))

    topics = _topics(values.get("topics", ""))
    if isinstance(topics, str):
        errors.append(RowError(row, "topics", topics, "topic"))
        topics = frozenset()

    digital_text = values.get("digital", "").strip().lower()
    if digital_text in _TRUE:
        is_digital = True
    elif digital_text in _FALSE:
        is_digital = False
    else:
        errors.append(RowError(row, "digital", "expected Y or N", "boolean"))
        is_digital = False

    if errors:
        return errors
    return ParsedRow(
        row=row,
        external_id=external_id,
        person_id=person_id,
        course_external_id=course_id,
        course_title=title,
        category=category,
        topics=topics,
        hours=hours,
        completed_on=day,
        completed_at=moment,
        is_digital=is_digital,
        digest=digest(person_id, course_id, hours, day, moment) if not national else "",
        national_id=NationalIdText(national) if national else None,
    )
