"""Queries of engagements."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.speakers.models import Engagement
from services.speakers.schemas import EngagementCreate


def find(session: Session, body: EngagementCreate) -> Engagement | None:
    return session.scalars(
        select(Engagement).where(
            Engagement.class_ref == body.class_ref,  # type: ignore[arg-type]
            Engagement.session_number == body.session_number,  # type: ignore[arg-type]
            Engagement.lecturer_id == body.lecturer_id,  # type: ignore[arg-type]
        )
    ).first()


def record(session: Session, body: EngagementCreate, actor: str) -> tuple[Engagement, bool]:
    """The engagement for (class, session, lecturer), and whether it is new."""
    existing = find(session, body)
    if existing is not None:
        return existing, False
    engagement = Engagement(**body.model_dump(), recorded_by=actor)
    try:
        # A savepoint: a concurrent twin's insert loses the race without
        # spoiling the request's transaction.
        with session.begin_nested():
            session.add(engagement)
    except IntegrityError:
        twin = find(session, body)
        assert twin is not None
        return twin, False
    return engagement, True


def get(session: Session, engagement_id: int) -> Engagement | None:
    return session.get(Engagement, engagement_id)


def delete(session: Session, engagement: Engagement) -> None:
    session.delete(engagement)
    session.flush()
