"""Where persons work, as the certs service has it (`talent_persons`): from the
directory when an HR officer assigns a role, from training's roster by the
nightly pull."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from services.certs.models import Certificate, PersonAiHours, TalentPerson
from services.certs.store.json_rows import json_rows

TABLE = TalentPerson.__table__  # type: ignore[attr-defined]
H = PersonAiHours
COLUMNS = ("person_id", "agency_code", "unit_id", "refreshed_at")
_UPDATED = ("agency_code", "unit_id", "refreshed_at")
# Persons per IN list on SQLite (its bound-parameter limit).
_IN_CHUNK = 500


def get(session: Session, person_id: str) -> TalentPerson | None:
    return session.get(TalentPerson, person_id)


def certificate_agency(session: Session, person_id: str) -> str | None:
    """The agency of the person's latest registered certificate: where the
    person worked when they last registered one."""
    return session.scalars(
        select(col(Certificate.agency_code))
        .where(col(Certificate.person_id) == person_id)
        .order_by(col(Certificate.id).desc())
        .limit(1)
    ).first()


def known(session: Session, person_ids: Sequence[str]) -> set[str]:
    """Which of these persons have a row already."""
    ids = sorted(set(person_ids))
    if not ids:
        return set()
    pid = col(TalentPerson.person_id)
    if session.get_bind().dialect.name == "postgresql":
        keys = json_rows([[p] for p in ids], TABLE, ("person_id",))
        return set(session.scalars(select(pid).join(keys, keys.c.person_id == pid)))
    found: set[str] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        found.update(session.scalars(select(pid).where(pid.in_(ids[start : start + _IN_CHUNK]))))
    return found


def upsert(session: Session, rows: Sequence[tuple[str, str, str]], at: datetime) -> None:
    """Insert or replace (person_id, agency_code, unit_id) rows, any number of
    them, with one statement compiled once (as `person_ai_hours.upsert`): on
    PostgreSQL the rows in one JSON parameter, on SQLite executed per row.
    A person may appear once.

    A person whose place is unchanged is not written at all (`refreshed_at` is
    when the place last changed): the nightly pull names most persons again
    with the same place, and rewriting each row touched its seven indexes."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        source = json_rows([(p, a, u, at) for p, a, u in rows], TABLE, COLUMNS)
        pg = pg_insert(TABLE).from_select(list(COLUMNS), select(*source.c))
        session.execute(
            pg.on_conflict_do_update(
                index_elements=[TABLE.c.person_id],
                set_={name: pg.excluded[name] for name in _UPDATED},
                where=_moved(pg.excluded),
            )
        )
        return
    lite = sqlite_insert(TABLE)
    session.execute(
        lite.on_conflict_do_update(
            index_elements=[TABLE.c.person_id],
            set_={name: lite.excluded[name] for name in _UPDATED},
            where=_moved(lite.excluded),
        ),
        [{"person_id": p, "agency_code": a, "unit_id": u, "refreshed_at": at} for p, a, u in rows],
    )


def _moved(excluded: Any) -> ColumnElement[bool]:
    """The row offered places the person elsewhere than the stored one."""
    return or_(TABLE.c.agency_code != excluded.agency_code, TABLE.c.unit_id != excluded.unit_id)


def copy_hours(session: Session, person_ids: Sequence[str]) -> None:
    """Copy each of these persons' latest year in `person_ai_hours` and its
    hours onto their row (`hours_year`, `hours_centi`; 0 and 0 with none),
    in the transaction that wrote the hours; rows already right are not
    written. Persons without a row are left alone."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    mine = col(H.person_id) == TABLE.c.person_id
    year = func.coalesce(select(func.max(col(H.year))).where(mine).scalar_subquery(), 0)
    centi = func.coalesce(
        select(col(H.ai_centi)).where(mine).order_by(col(H.year).desc()).limit(1).scalar_subquery(),
        0,
    )
    stale = or_(TABLE.c.hours_year != year, TABLE.c.hours_centi != centi)
    values = {"hours_year": year, "hours_centi": centi}
    if session.get_bind().dialect.name == "postgresql":
        # Each person's latest row in one pass (DISTINCT ON), joined once, in
        # place of two correlated look-ups a person (and two more to compare).
        # A person without hours keeps what the row has: hours rows are never
        # removed, so that is already 0 and 0.
        keys = json_rows([[p] for p in ids], TABLE, ("person_id",))
        latest = (
            select(col(H.person_id), col(H.year), col(H.ai_centi))
            .join(keys, keys.c.person_id == col(H.person_id))
            .ext(distinct_on(col(H.person_id)))
            .order_by(col(H.person_id), col(H.year).desc())
            .subquery()
        )
        session.execute(
            update(TABLE)
            .where(
                TABLE.c.person_id == latest.c.person_id,
                or_(
                    TABLE.c.hours_year != latest.c.year,
                    TABLE.c.hours_centi != latest.c.ai_centi,
                ),
            )
            .values(hours_year=latest.c.year, hours_centi=latest.c.ai_centi)
        )
        return
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        session.execute(update(TABLE).where(TABLE.c.person_id.in_(chunk), stale).values(values))
