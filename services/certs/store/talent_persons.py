"""Where persons work, as the certs service has it (`talent_persons`): from the
directory when an HR officer assigns a role, from training's roster by the
nightly pull."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from services.certs.models import Certificate, TalentPerson

TABLE = TalentPerson.__table__  # type: ignore[attr-defined]


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


def upsert(session: Session, rows: Sequence[tuple[str, str, str]], at: datetime) -> None:
    """Insert or replace (person_id, agency_code, unit_id) rows, in one statement."""
    if not rows:
        return
    values = [
        {"person_id": p, "agency_code": a, "unit_id": u, "refreshed_at": at} for p, a, u in rows
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(TABLE).values(values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TABLE.c.person_id],
            set_={
                "agency_code": stmt.excluded.agency_code,
                "unit_id": stmt.excluded.unit_id,
                "refreshed_at": stmt.excluded.refreshed_at,
            },
        )
    )
