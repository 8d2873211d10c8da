"""The certs service's copy of training's AI hours (`person_ai_hours`) and where
the last complete pull of the feed ended (`feed_positions`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from services.certs.models import FeedPosition, PersonAiHours

TABLE = PersonAiHours.__table__  # type: ignore[attr-defined]


def get(session: Session, person_id: str, year: int) -> PersonAiHours | None:
    return session.get(PersonAiHours, (person_id, year))


def upsert(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace rows (every column of `person_ai_hours`) in one statement."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(TABLE).values(list(rows))
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TABLE.c.person_id, TABLE.c.year],
            set_={
                name: stmt.excluded[name]
                for name in ("ai_centi", "basic_centi", "advanced_centi", "changed_at", "pulled_at")
            },
        )
    )


def position(session: Session, feed: str) -> datetime | None:
    row = session.get(FeedPosition, feed)
    return None if row is None else row.changed_since


def set_position(session: Session, feed: str, changed_since: datetime, at: datetime) -> None:
    row = session.get(FeedPosition, feed, with_for_update=True)
    if row is None:
        session.add(FeedPosition(feed=feed, changed_since=changed_since, updated_at=at))
    else:
        row.changed_since = changed_since
        row.updated_at = at
        session.add(row)
    session.flush()
