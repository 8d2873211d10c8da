"""The comp-time ledger in the database: grants, append-only entries, and the
pure `ComptimeLedger` rebuilt from them. Balances are always sums of entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy import and_, bindparam, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from services.attendance.domain.comptime import ComptimeLedger, Entry, EntryKind, Grant
from services.attendance.models import ComptimeAnchor, ComptimeEntry, ComptimeGrant, RosterPerson
from services.common.pagination import PageParams, paginate
from services.common.timeutil import now_utc


def to_grant(row: ComptimeGrant) -> Grant:
    assert row.id is not None
    return Grant(str(row.id), row.person_id, row.earned_on, row.minutes, row.expires_on)


# Columns of an entry as the pure ledger needs them: read as plain rows, since
# a person's ledger can hold hundreds of entries and an ORM object per entry
# costs more than the query.
_ENTRY_COLUMNS = (
    col(ComptimeEntry.kind),
    col(ComptimeEntry.grant_id),
    col(ComptimeEntry.minutes),
    col(ComptimeEntry.on_day),
    col(ComptimeEntry.agency_code),
    col(ComptimeEntry.leave_request_id),
    col(ComptimeEntry.reason),
)
_GRANT_COLUMNS = (
    col(ComptimeGrant.id),
    col(ComptimeGrant.person_id),
    col(ComptimeGrant.earned_on),
    col(ComptimeGrant.minutes),
    col(ComptimeGrant.expires_on),
)
_LEDGER_GRANTS = sa_select(*_GRANT_COLUMNS).where(
    col(ComptimeGrant.person_id) == bindparam("person_id")
)
_LEDGER_ENTRIES = (
    sa_select(*_ENTRY_COLUMNS)
    .where(col(ComptimeEntry.person_id) == bindparam("person_id"))
    .order_by(col(ComptimeEntry.id))
)


def _entry(
    kind: str,
    grant_id: int,
    minutes: int,
    on_day: date,
    agency_code: str,
    request_id: int | None,
    reason: str | None,
) -> Entry:
    return Entry(
        EntryKind(kind),
        str(grant_id),
        minutes,
        on_day,
        agency_code,
        None if request_id is None else str(request_id),
        reason,
    )


def load_ledger(session: Session, person_id: str, agency_code: str) -> ComptimeLedger:
    """The person's whole ledger; call after `lock_person` when about to write."""
    params = {"person_id": person_id}
    grants = session.execute(_LEDGER_GRANTS, params)
    entries = session.execute(_LEDGER_ENTRIES, params)
    return ComptimeLedger(
        person_id=person_id,
        agency=agency_code,
        grants=tuple(
            Grant(str(gid), person, earned_on, minutes, expires_on)
            for gid, person, earned_on, minutes, expires_on in grants
        ),
        entries=tuple(_entry(*e) for e in entries),
    )


def add_grant_row(
    session: Session,
    *,
    person_id: str,
    agency_code: str,
    overtime_id: int | None,
    earned_on: date,
    minutes: int,
    expires_on: date,
) -> ComptimeGrant:
    row = ComptimeGrant(
        person_id=person_id,
        agency_code=agency_code,
        overtime_id=overtime_id,
        earned_on=earned_on,
        minutes=minutes,
        expires_on=expires_on,
    )
    session.add(row)
    session.flush()
    return row


def append(session: Session, person_id: str, entries: Sequence[Entry]) -> None:
    """Write the entries a pure ledger operation produced."""
    if not entries:
        return
    session.execute(
        insert(ComptimeEntry),
        [
            {
                "person_id": person_id,
                "grant_id": int(e.grant_id),
                "kind": e.kind.value,
                "minutes": e.minutes,
                "on_day": e.on,
                "agency_code": e.agency,
                "leave_request_id": None if e.request_id is None else int(e.request_id),
                "reason": e.reason,
                "created_at": now_utc(),
            }
            for e in entries
        ],
    )
    session.execute(
        update(ComptimeAnchor)
        .where(col(ComptimeAnchor.person_id) == person_id)
        .values(entries=col(ComptimeAnchor.entries) + len(entries), updated_at=now_utc())
    )


@dataclass(frozen=True)
class GrantRemaining:
    grant_id: int
    person_id: str
    earned_on: date
    expires_on: date
    minutes: int
    remaining: int


def remaining_by_grant(
    session: Session,
    *,
    person_ids: Iterable[str] | None = None,
    agency_code: str | None = None,
    expires_from: date | None = None,
    expires_to: date | None = None,
    only_positive: bool = True,
) -> list[GrantRemaining]:
    """Grants with what is left on each, summed in SQL, earliest expiry first."""
    remaining = func.sum(col(ComptimeEntry.minutes))
    stmt = (
        sa_select(
            col(ComptimeGrant.id),
            col(ComptimeGrant.person_id),
            col(ComptimeGrant.earned_on),
            col(ComptimeGrant.expires_on),
            col(ComptimeGrant.minutes),
            remaining,
        )
        .join(ComptimeEntry, col(ComptimeEntry.grant_id) == col(ComptimeGrant.id))
        .group_by(
            col(ComptimeGrant.id),
            col(ComptimeGrant.person_id),
            col(ComptimeGrant.earned_on),
            col(ComptimeGrant.expires_on),
            col(ComptimeGrant.minutes),
        )
    )
    if person_ids is not None:
        stmt = stmt.where(col(ComptimeGrant.person_id).in_(list(person_ids)))
    if agency_code is not None:
        # The agency that holds the person now (after transfers), per the roster.
        stmt = stmt.where(
            col(ComptimeGrant.person_id).in_(
                select(col(RosterPerson.person_id)).where(
                    col(RosterPerson.agency_code) == agency_code
                )
            )
        )
    if expires_from is not None:
        stmt = stmt.where(col(ComptimeGrant.expires_on) >= expires_from)
    if expires_to is not None:
        stmt = stmt.where(col(ComptimeGrant.expires_on) <= expires_to)
    if only_positive:
        stmt = stmt.having(remaining > 0)
    stmt = stmt.order_by(
        col(ComptimeGrant.expires_on), col(ComptimeGrant.earned_on), col(ComptimeGrant.id)
    )
    return [
        GrantRemaining(int(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5]))
        for r in session.execute(stmt)
    ]


@dataclass(frozen=True)
class AgencyGrant:
    """A grant with minutes left of a person the agency holds now, with that
    person's hourly rate."""

    person_id: str
    hourly_rate: Decimal
    expires_on: date
    remaining: int


# The comp-balance report's one read: every grant of the persons the agency
# holds now (after transfers, per the roster), with the person's rate and what
# is left on the grant, summed from its entries by a correlated sum over the
# covering index on (person_id, grant_id, minutes). The correlated form fixes
# the path: the agency's roster rows, their grants by the person index, each
# grant's entries from the index alone. Joining grants to entries and then
# grouping was estimated at a few rows by PostgreSQL (person and grant ids are
# not independent) and answered with a hash join over every entry of the
# ledger; summing the entries first and joining the grants after, with a scan
# of every grant. Grants with nothing left are dropped by the caller, which
# reads each sum once (a WHERE on it would run the sum twice).
_LEFT_ON_GRANT = (
    sa_select(func.sum(col(ComptimeEntry.minutes)))
    .where(
        col(ComptimeEntry.person_id) == col(ComptimeGrant.person_id),
        col(ComptimeEntry.grant_id) == col(ComptimeGrant.id),
    )
    .scalar_subquery()
)
_AGENCY_GRANTS = (
    sa_select(
        col(RosterPerson.person_id),
        col(RosterPerson.hourly_rate),
        col(ComptimeGrant.expires_on),
        _LEFT_ON_GRANT,
    )
    .select_from(RosterPerson)
    .join(ComptimeGrant, col(ComptimeGrant.person_id) == col(RosterPerson.person_id))
    .where(col(RosterPerson.agency_code) == bindparam("agency_code"))
)


def agency_grants(session: Session, agency_code: str) -> list[AgencyGrant]:
    """The grants with minutes left of everyone the agency holds now, in no
    particular order, as the comp-balance report needs them."""
    rows = session.connection().execute(_AGENCY_GRANTS, {"agency_code": agency_code})
    return [
        # A rate not on the roster counts as none, as the report has always shown it.
        AgencyGrant(person_id, Decimal(0) if rate is None else rate, expires_on, int(remaining))
        for person_id, rate, expires_on, remaining in rows
        if remaining is not None and remaining > 0
    ]


def balance_minutes(session: Session, person_id: str) -> int:
    total = session.execute(
        sa_select(func.coalesce(func.sum(col(ComptimeEntry.minutes)), 0)).where(
            col(ComptimeEntry.person_id) == person_id
        )
    ).scalar_one()
    return int(total)


# A balance read is the hottest query of the service: one statement, built
# once, that sums each grant's entries through the covering index on
# (person_id, grant_id, minutes), so PostgreSQL answers from the index alone.
# Matching entries on person_id as well lets both sides use a person index;
# an entry always carries its grant's person.
_REMAINING = func.sum(col(ComptimeEntry.minutes))
_PERSON_GRANTS = (
    sa_select(
        col(ComptimeGrant.id),
        col(ComptimeGrant.earned_on),
        col(ComptimeGrant.expires_on),
        col(ComptimeGrant.minutes),
        _REMAINING,
    )
    .join(
        ComptimeEntry,
        and_(
            col(ComptimeEntry.grant_id) == col(ComptimeGrant.id),
            col(ComptimeEntry.person_id) == col(ComptimeGrant.person_id),
        ),
    )
    .where(col(ComptimeGrant.person_id) == bindparam("person_id"))
    .group_by(
        col(ComptimeGrant.id),
        col(ComptimeGrant.earned_on),
        col(ComptimeGrant.expires_on),
        col(ComptimeGrant.minutes),
    )
    .having(_REMAINING > 0)
    .order_by(col(ComptimeGrant.expires_on), col(ComptimeGrant.earned_on), col(ComptimeGrant.id))
)


def person_grants(session: Session, person_id: str) -> list[tuple[int, date, date, int, int]]:
    """One person's grants with minutes left, earliest expiry first, as plain
    tuples (grant id, earned on, expires on, minutes, remaining)."""
    # On the session's connection: the ORM result layer adds nothing to plain
    # rows, and nothing this reads is ever left pending in the session (entries
    # are inserted at once, grants flushed as they are added).
    rows = session.connection().execute(_PERSON_GRANTS, {"person_id": person_id})
    # A stored grant always has its id; the model types it optional for inserts.
    return [
        (cast(int, gid), earned_on, expires_on, minutes, int(remaining))
        for gid, earned_on, expires_on, minutes, remaining in rows
    ]


def persons_with_lapsed_minutes(session: Session, today: date) -> list[str]:
    """Persons holding minutes on a grant whose last usable day is before today."""
    stmt = (
        sa_select(col(ComptimeGrant.person_id))
        .join(ComptimeEntry, col(ComptimeEntry.grant_id) == col(ComptimeGrant.id))
        .where(col(ComptimeGrant.expires_on) < today)
        .group_by(col(ComptimeGrant.id), col(ComptimeGrant.person_id))
        .having(func.sum(col(ComptimeEntry.minutes)) > 0)
    )
    return sorted({r[0] for r in session.execute(stmt)})


def request_entries(session: Session, leave_request_ids: Sequence[int]) -> list[ComptimeEntry]:
    if not leave_request_ids:
        return []
    return list(
        session.exec(
            select(ComptimeEntry)
            .where(col(ComptimeEntry.leave_request_id).in_(list(leave_request_ids)))
            .order_by(col(ComptimeEntry.id))
        ).all()
    )


def entries_page(
    session: Session, person_id: str, page: PageParams
) -> tuple[list[ComptimeEntry], str | None]:
    """One page of a person's entries, oldest first."""
    stmt = select(ComptimeEntry).where(col(ComptimeEntry.person_id) == person_id)
    return paginate(session, stmt, col(ComptimeEntry.id), page)


@dataclass(frozen=True)
class Taken:
    """Minutes a leave request drew on one grant, and that grant's last usable day."""

    grant_id: int
    minutes: int
    expires_on: date


def taken_by_requests(session: Session, leave_request_ids: Sequence[int]) -> dict[int, list[Taken]]:
    """What each request took, grant by grant, in the order it was taken; one
    query for any number of requests."""
    if not leave_request_ids:
        return {}
    stmt = (
        sa_select(
            col(ComptimeEntry.leave_request_id),
            col(ComptimeEntry.grant_id),
            col(ComptimeEntry.minutes),
            col(ComptimeGrant.expires_on),
        )
        .join(ComptimeGrant, col(ComptimeGrant.id) == col(ComptimeEntry.grant_id))
        .where(
            col(ComptimeEntry.leave_request_id).in_(list(leave_request_ids)),
            col(ComptimeEntry.kind) == EntryKind.USE.value,
        )
        .order_by(col(ComptimeEntry.id))
    )
    out: dict[int, list[Taken]] = {}
    for request_id, grant_id, minutes, expires_on in session.execute(stmt):
        # A use entry is negative: it takes minutes off the grant.
        out.setdefault(int(request_id), []).append(Taken(int(grant_id), -minutes, expires_on))
    return out


def grant_id_for_overtime(session: Session, overtime_id: int) -> int | None:
    """The grant approved comp-time overtime earned, if it has earned one."""
    return session.exec(
        select(ComptimeGrant.id).where(col(ComptimeGrant.overtime_id) == overtime_id)
    ).first()
