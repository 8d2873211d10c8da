"""Each person's AI hours per year (`models.AiHours`): refreshed by every write of
learning records, and read back as a feed ordered by the moment they changed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, false, func, insert, literal, select, text, tuple_, update
from sqlmodel import Session

from services.common.timeutil import now_utc
from services.training.domain.ai_hours import ADVANCED_BIT, AI_BITS, next_stamp
from services.training.models import AiHours, LearningRecord, RosterPerson
from services.training.store.keys import key_rows

AI = AiHours.__table__  # type: ignore[attr-defined]
RECORDS = LearningRecord.__table__  # type: ignore[attr-defined]
ROSTER = RosterPerson.__table__  # type: ignore[attr-defined]
_CHUNK = 400
_PG_CHUNK = 50_000
# pg_advisory_xact_lock key of the feed's stamps ("ai_hours" in ASCII): held from
# the refresh to the commit, so that writers stamp and commit one after another.
_LOCK_KEY = 0x61695F686F757273

Key = tuple[str, int]  # (person_id, year)


class Entry(NamedTuple):
    person_id: str
    year: int
    basic_centi: int
    advanced_centi: int
    changed_at: datetime
    # Where the roster places the person; None when the roster does not list them.
    agency_code: str | None = None
    unit_id: str | None = None


def _lock(session: Session) -> None:
    # SQLite needs nothing: the transaction has written learning records, so it
    # holds the database's one write lock until it commits.
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def latest(session: Session) -> datetime | None:
    """The latest change stamp of the feed, None when it is empty."""
    found: datetime | None = session.execute(select(func.max(AI.c.changed_at))).scalar_one()
    return found


def _persons_clause(session: Session, column: Any, persons: Sequence[str]) -> Any:
    """`column` among `persons`: on PostgreSQL one join key set for all of them
    (`store.keys`), elsewhere an IN list (callers keep it to `_CHUNK`)."""
    if session.connection().dialect.name == "postgresql":
        keys = key_rows(persons)
        return column.in_(select(keys.c.v))
    return column.in_(persons)


def _sums(session: Session, year: int, persons: Sequence[str]) -> dict[str, tuple[int, int]]:
    r = RECORDS.c
    advanced = r.topic_mask.op("&")(ADVANCED_BIT) != 0
    stmt = (
        select(
            r.person_id,
            func.sum(case((advanced, 0), else_=r.hours_centi)),
            func.sum(case((advanced, r.hours_centi), else_=0)),
        )
        .where(
            r.year == year,
            _persons_clause(session, r.person_id, persons),
            r.withdrawn == false(),
            r.topic_mask.op("&")(AI_BITS) != 0,
        )
        .group_by(r.person_id)
    )
    return {pid: (int(basic or 0), int(adv or 0)) for pid, basic, adv in session.execute(stmt)}


def _stored(session: Session, year: int, persons: Sequence[str]) -> dict[str, tuple[int, int]]:
    a = AI.c
    stmt = select(a.person_id, a.basic_centi, a.advanced_centi).where(
        a.year == year, _persons_clause(session, a.person_id, persons)
    )
    return {pid: (basic, adv) for pid, basic, adv in session.execute(stmt)}


def refresh(session: Session, keys: Iterable[Key]) -> int:
    """Recompute the AI hours of these (person, year) pairs from their records and
    stamp those that changed; returns how many changed.

    Call it last in a transaction that wrote learning records, just before the
    commit: it takes the feed's lock (held until the commit), then reads what
    every earlier writer committed, so its figures and its stamp are both later
    than theirs. A pair without AI records and without a row stays without one;
    a row whose hours fall to 0 keeps its row, at 0, so the feed reports the drop.
    """
    by_year: dict[int, set[str]] = defaultdict(set)
    for person_id, year in keys:
        by_year[year].add(person_id)
    if not by_year:
        return 0
    _lock(session)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    # PostgreSQL takes a year's persons in one statement; SQLite in IN lists.
    chunk_size = _PG_CHUNK if session.connection().dialect.name == "postgresql" else _CHUNK
    for year, persons in sorted(by_year.items()):
        ordered = sorted(persons)
        for start in range(0, len(ordered), chunk_size):
            chunk = ordered[start : start + chunk_size]
            sums = _sums(session, year, chunk)
            stored = _stored(session, year, chunk)
            for person_id in chunk:
                now_ = sums.get(person_id, (0, 0))
                before = stored.get(person_id)
                if before == now_ or (before is None and now_ == (0, 0)):
                    continue
                row = {
                    "person_id": person_id,
                    "year": year,
                    "basic_centi": now_[0],
                    "advanced_centi": now_[1],
                }
                (inserts if before is None else updates).append(row)
    if not inserts and not updates:
        return 0
    stamp = next_stamp(now_utc(), latest(session))
    if inserts:
        session.execute(insert(AI), [{**row, "changed_at": stamp} for row in inserts])
    if updates:
        # One statement, many parameter sets (executemany): the names differ from
        # the columns', which an UPDATE's WHERE may not reuse.
        session.execute(
            update(AI)
            .where(AI.c.person_id == bindparam("p"), AI.c.year == bindparam("y"))
            .values(basic_centi=bindparam("b"), advanced_centi=bindparam("v"), changed_at=stamp),
            [
                {
                    "p": r["person_id"],
                    "y": r["year"],
                    "b": r["basic_centi"],
                    "v": r["advanced_centi"],
                }
                for r in updates
            ],
        )
    return len(inserts) + len(updates)


def restamp(session: Session, persons: Iterable[str]) -> int:
    """Stamp every stored year of these persons as changed now, figures unchanged:
    the roster moved them (another agency or unit), and the feed carries the
    roster's place, so a puller learns of the move with this stamp. Returns how
    many rows were stamped. Call it last before the commit, as `refresh`."""
    wanted = sorted(set(persons))
    if not wanted:
        return 0
    _lock(session)
    stamp = next_stamp(now_utc(), latest(session))
    chunk_size = _PG_CHUNK if session.connection().dialect.name == "postgresql" else _CHUNK
    stamped = 0
    for start in range(0, len(wanted), chunk_size):
        chunk = wanted[start : start + chunk_size]
        result = session.execute(
            update(AI)
            .where(_persons_clause(session, AI.c.person_id, chunk))
            .values(changed_at=stamp)
        )
        stamped += result.rowcount or 0  # type: ignore[attr-defined]
    return stamped


def page(
    session: Session,
    *,
    since: datetime | None,
    until: datetime,
    after: tuple[datetime, str, int] | None,
    limit: int,
) -> list[Entry]:
    """Up to `limit` rows changed after `since` and at or before `until`, after the
    key `after`, in (changed_at, person_id, year) order, each with the person's
    agency and unit from the roster (one primary-key look-up per row)."""
    a = AI.c
    r = ROSTER.c
    stmt = (
        select(
            a.person_id,
            a.year,
            a.basic_centi,
            a.advanced_centi,
            a.changed_at,
            r.agency_code,
            r.unit_id,
        )
        .select_from(AI.outerjoin(ROSTER, r.person_id == a.person_id))
        .where(a.changed_at <= until)
    )
    if since is not None:
        stmt = stmt.where(a.changed_at > since)
    if after is not None:
        stmt = stmt.where(
            tuple_(a.changed_at, a.person_id, a.year)
            > tuple_(
                literal(after[0], a.changed_at.type),
                literal(after[1], a.person_id.type),
                literal(after[2], a.year.type),
            )
        )
    stmt = stmt.order_by(a.changed_at, a.person_id, a.year).limit(limit)
    return [Entry(*row) for row in session.execute(stmt)]


def of_person(session: Session, person_id: str, year: int) -> Entry | None:
    """One person's figures of one year, with the roster's agency and unit."""
    a = AI.c
    r = ROSTER.c
    row = session.execute(
        select(
            a.person_id,
            a.year,
            a.basic_centi,
            a.advanced_centi,
            a.changed_at,
            r.agency_code,
            r.unit_id,
        )
        .select_from(AI.outerjoin(ROSTER, r.person_id == a.person_id))
        .where(a.person_id == person_id, a.year == year)
    ).first()
    return None if row is None else Entry(*row)


def roster_place(session: Session, person_id: str) -> tuple[str, str] | None:
    """The roster's agency and unit of a person, or None when not listed."""
    row = session.execute(
        select(ROSTER.c.agency_code, ROSTER.c.unit_id).where(ROSTER.c.person_id == person_id)
    ).first()
    return None if row is None else (row[0], row[1])
