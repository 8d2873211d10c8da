"""Queries of the course categories and of which lecturer is filed under which."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from services.speakers.models import CourseCategory, LecturerCategory


def active(session: Session) -> list[CourseCategory]:
    return list(
        session.scalars(
            select(CourseCategory).where(col(CourseCategory.active)).order_by(CourseCategory.code)
        )
    )


def by_codes(session: Session, codes: Sequence[str]) -> dict[str, CourseCategory]:
    if not codes:
        return {}
    rows = session.scalars(
        select(CourseCategory).where(
            col(CourseCategory.code).in_(list(codes)), col(CourseCategory.active)
        )
    )
    return {row.code: row for row in rows}


def of_lecturers(session: Session, lecturer_ids: Sequence[int]) -> dict[int, list[CourseCategory]]:
    found: dict[int, list[CourseCategory]] = {i: [] for i in lecturer_ids}
    if not lecturer_ids:
        return found
    rows = session.execute(
        select(col(LecturerCategory.lecturer_id), CourseCategory)
        .join(CourseCategory, col(CourseCategory.id) == col(LecturerCategory.category_id))
        .where(col(LecturerCategory.lecturer_id).in_(list(lecturer_ids)))
        .order_by(col(CourseCategory.code))
    )
    for lecturer_id, category in rows:
        found[lecturer_id].append(category)
    return found


def replace(session: Session, lecturer_id: int, category_ids: Sequence[int]) -> None:
    session.execute(
        delete(LecturerCategory).where(col(LecturerCategory.lecturer_id) == lecturer_id)
    )
    if category_ids:
        session.execute(
            insert(LecturerCategory),
            [{"lecturer_id": lecturer_id, "category_id": c} for c in sorted(set(category_ids))],
        )
