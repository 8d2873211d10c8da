"""Queries of relayed messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from services.common.pagination import PageParams, paginate
from services.speakers.models import LecturerMessage


def lock_sender(session: Session, sender: str) -> None:
    """Serialise one sender's messages, so that two at once cannot both pass the
    rate limit: a transaction-scoped advisory lock on PostgreSQL; on SQLite the
    write transaction (BEGIN IMMEDIATE) already holds the database's one lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"speakers.messages:{sender}"},
        )


def sent_since(session: Session, sender: str, since: datetime) -> list[datetime]:
    return list(
        session.scalars(
            select(col(LecturerMessage.sent_at)).where(
                col(LecturerMessage.sender) == sender, col(LecturerMessage.sent_at) > since
            )
        )
    )


def add(session: Session, message: LecturerMessage) -> LecturerMessage:
    session.add(message)
    session.flush()
    return message


def to_lecturer(
    session: Session, lecturer_id: int, params: PageParams
) -> tuple[list[LecturerMessage], str | None]:
    stmt = select(LecturerMessage).where(col(LecturerMessage.lecturer_id) == lecturer_id)
    return paginate(session, stmt, LecturerMessage.id, params, descending=True)


def count_to(session: Session, lecturer_id: int) -> int:
    return int(
        session.scalar(select(func.count()).where(col(LecturerMessage.lecturer_id) == lecturer_id))
        or 0
    )
