"""Queries of the speakers database; callers commit (the request session does)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.common.pagination import PageParams, paginate
from services.speakers.models import Engagement, Lecturer
from services.speakers.schemas import EngagementCreate, LecturerCreate


def create_lecturer(session: Session, body: LecturerCreate, actor: str) -> Lecturer:
    lecturer = Lecturer(
        name=body.name, organisation=body.organisation, expertise=body.expertise, created_by=actor
    )
    session.add(lecturer)
    session.flush()
    return lecturer


def get_lecturer(session: Session, lecturer_id: int) -> Lecturer | None:
    return session.get(Lecturer, lecturer_id)


def list_lecturers(
    session: Session, params: PageParams, name: str | None
) -> tuple[list[Lecturer], str | None]:
    stmt = select(Lecturer)
    if name:
        stmt = stmt.where(Lecturer.name.contains(name))  # type: ignore[attr-defined]
    return paginate(session, stmt, Lecturer.id, params)


def find_engagement(session: Session, body: EngagementCreate) -> Engagement | None:
    return session.scalars(
        select(Engagement).where(
            Engagement.class_ref == body.class_ref,  # type: ignore[arg-type]
            Engagement.session_number == body.session_number,  # type: ignore[arg-type]
            Engagement.lecturer_id == body.lecturer_id,  # type: ignore[arg-type]
        )
    ).first()


def record_engagement(
    session: Session, body: EngagementCreate, actor: str
) -> tuple[Engagement, bool]:
    """The engagement for (class, session, lecturer), and whether it is new."""
    existing = find_engagement(session, body)
    if existing is not None:
        return existing, False
    engagement = Engagement(**body.model_dump(), recorded_by=actor)
    try:
        # A savepoint: a concurrent twin's insert loses the race without
        # spoiling the request's transaction.
        with session.begin_nested():
            session.add(engagement)
    except IntegrityError:
        twin = find_engagement(session, body)
        assert twin is not None
        return twin, False
    return engagement, True


def get_engagement(session: Session, engagement_id: int) -> Engagement | None:
    return session.get(Engagement, engagement_id)


def delete_engagement(session: Session, engagement: Engagement) -> None:
    session.delete(engagement)
    session.flush()
