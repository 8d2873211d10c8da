"""Portal categories and courses: reference data the records and classes point at."""

from __future__ import annotations

from sqlmodel import Session

from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.common.pagination import PageParams
from services.training.domain.topics import Topic
from services.training.models import Category, Course
from services.training.schemas.catalogue import CourseCreate
from services.training.store import catalogue


def categories(session: Session) -> list[Category]:
    return catalogue.list_categories(session)


def put_category(session: Session, code: str, name: str) -> tuple[Category, bool]:
    """The category, and whether this request created it."""
    return catalogue.put_category(session, code, name)


def add_course(session: Session, body: CourseCreate) -> Course:
    if catalogue.find_course(session, body.source, body.external_id) is not None:
        raise Conflict("this source already has a course with this external id")
    if body.category_code not in catalogue.category_codes(session):
        raise Invalid(
            "unknown category",
            errors=[FieldError(field="body.category_code", reason="unknown category")],
        )
    return catalogue.add_course(session, **body.model_dump())


def courses(
    session: Session, params: PageParams, source: str | None, topic: Topic | None
) -> tuple[list[Course], str | None]:
    return catalogue.list_courses(session, params, source, topic)


def course(session: Session, course_id: int) -> Course:
    found = catalogue.get_course(session, course_id)
    if found is None:
        raise NotFound("no such course")
    return found
