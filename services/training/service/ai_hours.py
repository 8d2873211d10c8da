"""The AI-hours feed the certs service pulls each night (`GET /ai-hours`).

A pull is the pages of one `changed_since`: its first page fixes `until`, the
latest change committed then, and every page returns only rows changed in
(`changed_since`, `until`], after the cursor. Each (person, year) is therefore
returned at most once per pull, with no gap: stamps are given in commit order
(`store.ai_hours.refresh`), so a change committed during the pull is stamped
after `until` and comes in the next pull, whose `changed_since` is this `until`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import FieldError, Invalid
from services.common.pagination import decode_cursor, encode_cursor
from services.common.principal import Principal
from services.training.models import personal_data_reads
from services.training.store import ai_hours
from services.training.store.ai_hours import Entry

RESOURCE = "ai_hours"


@dataclass(frozen=True)
class Position:
    until: datetime
    after: tuple[datetime, str, int] | None


def _refused(reason: str) -> Invalid:
    return Invalid(
        "cursor is not one this API issued",
        errors=[FieldError(field="query.cursor", reason=reason, code="cursor")],
    )


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError(value)
    return moment


def parse_cursor(cursor: str) -> Position:
    """The position a cursor of this feed holds: until, then the last key."""
    keys = decode_cursor(cursor)
    if len(keys) != 4 or not all(isinstance(k, str) for k in keys[:3]):
        raise _refused("not a cursor of the AI-hours feed")
    until, changed_at, person_id, year = keys
    if not isinstance(year, int) or isinstance(year, bool):
        raise _refused("not a cursor of the AI-hours feed")
    try:
        return Position(_aware(str(until)), (_aware(str(changed_at)), str(person_id), year))
    except ValueError:
        raise _refused("not a cursor of the AI-hours feed") from None


def _cursor(until: datetime, last: Entry) -> str:
    return encode_cursor(
        [until.isoformat(), last.changed_at.isoformat(), last.person_id, last.year]
    )


@dataclass(frozen=True)
class FeedPage:
    entries: list[Entry]
    until: datetime | None
    next_cursor: str | None


def pull(
    session: Session,
    who: Principal,
    *,
    changed_since: datetime | None,
    position: Position | None,
    limit: int,
) -> FeedPage:
    """One page of the feed; every person listed is logged as read by `who`."""
    if position is None:
        latest = ai_hours.latest(session)
        if latest is None or (changed_since is not None and latest <= changed_since):
            # Nothing new: the next pull starts where this one was asked to.
            return FeedPage([], changed_since, None)
        until, after = latest, None
    else:
        until, after = position.until, position.after
    rows = ai_hours.page(session, since=changed_since, until=until, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    record_personal_data_read(
        session, personal_data_reads, who, sorted({r.person_id for r in rows}), RESOURCE, RESOURCE
    )
    return FeedPage(rows, until, _cursor(until, rows[-1]) if more and rows else None)


@dataclass(frozen=True)
class PersonFigures:
    person_id: str
    year: int
    basic_centi: int
    advanced_centi: int
    changed_at: datetime | None  # None: no AI record of that year
    agency_code: str | None
    unit_id: str | None


def of_person(session: Session, who: Principal, person_id: str, year: int) -> PersonFigures:
    """One person's AI hours of one year (zeros when none are recorded), logged
    as read by `who`: the certs service's live readiness view."""
    entry = ai_hours.of_person(session, person_id, year)
    record_personal_data_read(session, personal_data_reads, who, [person_id], RESOURCE, RESOURCE)
    if entry is not None:
        return PersonFigures(
            entry.person_id,
            entry.year,
            entry.basic_centi,
            entry.advanced_centi,
            entry.changed_at,
            entry.agency_code,
            entry.unit_id,
        )
    place = ai_hours.roster_place(session, person_id)
    return PersonFigures(
        person_id,
        year,
        0,
        0,
        None,
        None if place is None else place[0],
        None if place is None else place[1],
    )
