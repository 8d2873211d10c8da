"""Queries of lecturers and their consent history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from services.common.pagination import PageParams, paginate
from services.speakers.models import Lecturer, LecturerConsent


def add(session: Session, lecturer: Lecturer) -> Lecturer:
    session.add(lecturer)
    session.flush()
    return lecturer


def get(session: Session, lecturer_id: int) -> Lecturer | None:
    return session.get(Lecturer, lecturer_id)


def by_person(session: Session, person_id: str) -> Lecturer | None:
    return session.scalars(select(Lecturer).where(col(Lecturer.person_id) == person_id)).first()


def by_ids(session: Session, ids: Sequence[int]) -> dict[int, Lecturer]:
    if not ids:
        return {}
    rows = session.scalars(select(Lecturer).where(col(Lecturer.id).in_(list(ids))))
    return {row.id: row for row in rows if row.id is not None}


def page(
    session: Session, params: PageParams, name: str | None
) -> tuple[list[Lecturer], str | None]:
    stmt = select(Lecturer)
    if name:
        stmt = stmt.where(col(Lecturer.name).contains(name, autoescape=True))
    return paginate(session, stmt, Lecturer.id, params)


def add_consent(session: Session, consent: LecturerConsent) -> None:
    session.add(consent)


def consent_history(session: Session, lecturer_id: int) -> list[LecturerConsent]:
    return list(
        session.scalars(
            select(LecturerConsent)
            .where(col(LecturerConsent.lecturer_id) == lecturer_id)
            .order_by(col(LecturerConsent.id).desc())
        )
    )
