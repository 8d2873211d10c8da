"""Portal categories and courses: reference data, readable by anyone who reads records."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES
from services.common.ids import Id
from services.common.pagination import Page, PageDep, whole_page
from services.training.access import ClassWriter, RecordReader
from services.training.domain.topics import Topic
from services.training.models import Course
from services.training.schemas.catalogue import CategoryIn, CategoryOut, CourseCreate, CourseOut
from services.training.schemas.common import Code
from services.training.service import catalogue
from services.training.store.catalogue import decode_topics

router = APIRouter(tags=["catalogue"])


def course_out(course: Course) -> CourseOut:
    assert course.id is not None
    return CourseOut(
        id=course.id,
        source=course.source,
        external_id=course.external_id,
        title=course.title,
        category_code=course.category_code,
        topics=sorted(decode_topics(course.topics)),
        hours=course.hours,
        is_digital=course.is_digital,
    )


@router.get("/categories", summary="Portal course categories", response_model=Page[CategoryOut])
def list_categories(session: SessionDep, _who: RecordReader) -> Page[CategoryOut]:
    return whole_page(
        [CategoryOut(code=c.code, name=c.name) for c in catalogue.categories(session)]
    )


@router.put(
    "/categories/{code}",
    summary="Add or rename a portal course category",
    response_model=CategoryOut,
    responses={201: {"model": CategoryOut, "description": "Created"}},
)
def put_category(
    code: Annotated[Code, Path()],
    body: CategoryIn,
    session: SessionDep,
    _who: ClassWriter,
    response: Response,
) -> CategoryOut:
    category, created = catalogue.put_category(session, code, body.name)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return CategoryOut(code=category.code, name=category.name)


@router.post(
    "/courses",
    summary="Add a course",
    response_model=CourseOut,
    status_code=201,
    responses=CONFLICT_RESPONSES,
)
def create_course(body: CourseCreate, session: SessionDep, _who: ClassWriter) -> CourseOut:
    return course_out(catalogue.add_course(session, body))


@router.get("/courses", summary="List courses", response_model=Page[CourseOut])
def list_courses(
    session: SessionDep,
    _who: RecordReader,
    page: PageDep,
    source: Annotated[str | None, Query(max_length=32)] = None,
    topic: Topic | None = None,
) -> Page[CourseOut]:
    rows, cursor = catalogue.courses(session, page, source, topic)
    return Page[CourseOut](
        items=[course_out(c) for c in rows], next_cursor=cursor, limit=page.limit
    )


@router.get("/courses/{course_id}", summary="One course", response_model=CourseOut)
def get_course(course_id: Id, session: SessionDep, _who: RecordReader) -> CourseOut:
    return course_out(catalogue.course(session, course_id))
