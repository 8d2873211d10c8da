"""Per-person write locks and immediate transactions.

Every write that moves a person's comp time or adds to their overtime first
locks that person's anchor row: `SELECT … FOR UPDATE` on PostgreSQL. SQLite
has no row locks; there the whole transaction must start with `BEGIN
IMMEDIATE` (see `begin_immediate`), which takes the database write lock
before anything is read, so two writers never both read the same balance.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from services.attendance.models import ComptimeAnchor
from services.common.timeutil import now_utc
from services.common.transactions import begin_immediate

__all__ = ["begin_immediate", "dialect_of", "lock_person"]


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def lock_person(session: Session, person_id: str) -> None:
    """Create the person's anchor row if missing, then lock it until commit."""
    values = {"person_id": person_id, "entries": 0, "updated_at": now_utc()}
    if dialect_of(session) == "postgresql":
        session.execute(
            pg_insert(ComptimeAnchor)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["person_id"])
        )
    else:
        session.execute(
            sqlite_insert(ComptimeAnchor)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["person_id"])
        )
    session.execute(
        select(col(ComptimeAnchor.person_id))
        .where(col(ComptimeAnchor.person_id) == person_id)
        .with_for_update()
    )
