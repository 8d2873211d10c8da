"""Training classes, their sessions and the lecturers of each session."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from services.common.pagination import PageParams, paginate
from services.training.models import ClassSession, SessionLecturer, TrainingClass


def find_by_code(session: Session, code: str) -> TrainingClass | None:
    return session.scalars(select(TrainingClass).where(col(TrainingClass.code) == code)).first()


def add_class(
    session: Session,
    *,
    code: str,
    title: str,
    agency_code: str,
    course_id: int | None,
    created_by: str,
) -> TrainingClass:
    """The class written, with its id."""
    training_class = TrainingClass(
        code=code,
        title=title,
        agency_code=agency_code,
        course_id=course_id,
        created_by=created_by,
    )
    session.add(training_class)
    session.flush()
    return training_class


def add_session(
    session: Session, class_id: int, *, number: int, held_on: date, hours: Decimal, topic: str
) -> ClassSession:
    """The session written, with its id."""
    row = ClassSession(class_id=class_id, number=number, held_on=held_on, hours=hours, topic=topic)
    session.add(row)
    session.flush()
    return row


def add_lecturer(session: Session, session_id: int, lecturer_id: int, engagement_id: int) -> None:
    session.add(
        SessionLecturer(session_id=session_id, lecturer_id=lecturer_id, engagement_id=engagement_id)
    )


def get_class(session: Session, class_id: int) -> TrainingClass | None:
    return session.get(TrainingClass, class_id)


def list_classes(
    session: Session, params: PageParams, agency_code: str | None
) -> tuple[list[TrainingClass], str | None]:
    stmt = select(TrainingClass)
    if agency_code:
        stmt = stmt.where(col(TrainingClass.agency_code) == agency_code)
    return paginate(session, stmt, col(TrainingClass.id), params)


def sessions_of(
    session: Session, class_id: int
) -> list[tuple[ClassSession, list[SessionLecturer]]]:
    sessions = list(
        session.scalars(
            select(ClassSession)
            .where(col(ClassSession.class_id) == class_id)
            .order_by(col(ClassSession.number))
        )
    )
    ids = [s.id for s in sessions]
    lecturers: dict[int, list[SessionLecturer]] = {}
    if ids:
        stmt = (
            select(SessionLecturer)
            .where(col(SessionLecturer.session_id).in_(ids))
            .order_by(col(SessionLecturer.id))
        )
        for row in session.scalars(stmt):
            lecturers.setdefault(row.session_id, []).append(row)
    return [(s, lecturers.get(s.id or 0, [])) for s in sessions]


def session_numbers(session: Session, class_id: int) -> set[int]:
    return set(
        session.scalars(
            select(col(ClassSession.number)).where(col(ClassSession.class_id) == class_id)
        )
    )
