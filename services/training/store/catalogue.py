"""Categories and courses."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlmodel import Session, col

from services.common.pagination import PageParams, paginate
from services.training.domain.topics import Topic
from services.training.models import Category, Course


def encode_topics(topics: Iterable[Topic]) -> str:
    return ",".join(sorted({Topic(t).value for t in topics}))


def decode_topics(text: str) -> frozenset[Topic]:
    return frozenset(Topic(part) for part in text.split(",") if part)


def list_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(col(Category.code))))


def category_codes(session: Session) -> set[str]:
    return set(session.scalars(select(col(Category.code))))


def put_category(session: Session, code: str, name: str) -> tuple[Category, bool]:
    existing = session.get(Category, code)
    if existing is not None:
        existing.name = name
        session.add(existing)
        return existing, False
    category = Category(code=code, name=name)
    session.add(category)
    session.flush()
    return category, True


def get_course(session: Session, course_id: int) -> Course | None:
    return session.get(Course, course_id)


def find_course(session: Session, source: str, external_id: str) -> Course | None:
    return session.scalars(
        select(Course).where(
            col(Course.source) == source,
            col(Course.external_id) == external_id,
        )
    ).first()


def courses_by_key(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Course]:
    wanted = list(set(keys))
    found: dict[tuple[str, str], Course] = {}
    # Chunked: SQLite caps bound parameters per statement.
    for start in range(0, len(wanted), 400):
        chunk = wanted[start : start + 400]
        stmt = select(Course).where(tuple_(col(Course.source), col(Course.external_id)).in_(chunk))
        for course in session.scalars(stmt):
            found[(course.source, course.external_id)] = course
    return found


def add_course(
    session: Session,
    *,
    source: str,
    external_id: str,
    title: str,
    category_code: str,
    topics: Iterable[Topic],
    hours: Decimal | None,
    is_digital: bool,
) -> Course:
    course = Course(
        source=source,
        external_id=external_id,
        title=title,
        category_code=category_code,
        topics=encode_topics(topics),
        hours=hours,
        is_digital=is_digital,
    )
    session.add(course)
    session.flush()
    return course


def list_courses(
    session: Session, params: PageParams, source: str | None, topic: Topic | None
) -> tuple[list[Course], str | None]:
    stmt = select(Course)
    if source:
        stmt = stmt.where(col(Course.source) == source)
    if topic:
        stmt = stmt.where(col(Course.topics).contains(topic.value))
    return paginate(session, stmt, col(Course.id), params)
