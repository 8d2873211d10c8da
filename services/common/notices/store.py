"""Storing notices: each dedupe key once, however often a job runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from services.common.notices.model import StoredNotice
from services.common.timeutil import now_utc

# Rows per INSERT statement: well inside both databases' bound-parameter limits.
INSERT_CHUNK = 1000


def add_new(session: Session, table: type[StoredNotice], notices: Sequence[dict[str, Any]]) -> int:
    """Insert the notices whose dedupe key is not stored yet; returns how many were new.

    Each dict holds the table's columns (`recipient_id`, `kind`, `dedupe_key`,
    `issued_on`, `subject`, `body` and the service's own); delivery columns
    start empty. Does not commit.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = now_utc()
    created = 0
    for start in range(0, len(notices), INSERT_CHUNK):
        chunk = [{"created_at": now, **n} for n in notices[start : start + INSERT_CHUNK]]
        result = session.execute(
            insert(table)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(col(table.id))
        )
        created += len(result.all())
    return created
