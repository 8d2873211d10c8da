"""Queries of lecturers."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from services.common.pagination import PageParams, paginate
from services.speakers.models import Lecturer
from services.speakers.schemas import LecturerCreate


def create(session: Session, body: LecturerCreate, actor: str) -> Lecturer:
    lecturer = Lecturer(
        name=body.name, organisation=body.organisation, expertise=body.expertise, created_by=actor
    )
    session.add(lecturer)
    session.flush()
    return lecturer


def get(session: Session, lecturer_id: int) -> Lecturer | None:
    return session.get(Lecturer, lecturer_id)


def page(
    session: Session, params: PageParams, name: str | None
) -> tuple[list[Lecturer], str | None]:
    stmt = select(Lecturer)
    if name:
        stmt = stmt.where(Lecturer.name.contains(name))  # type: ignore[attr-defined]
    return paginate(session, stmt, Lecturer.id, params)
