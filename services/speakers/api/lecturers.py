"""Lecturers (講座): the directory training officers keep and training validates against."""

# No `from __future__ import annotations`: FastAPI resolves the annotated
# dependencies at import time.

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.common.db import SessionDep, WriteSessionDep
from services.common.ids import Id
from services.common.pagination import Page, PageDep, whole_page
from services.speakers.access import LecturerWriter, Searcher
from services.speakers.models import Lecturer
from services.speakers.schemas import CategoryOut, LecturerCreate, LecturerOut, LecturerUpdate
from services.speakers.service import lecturers
from services.speakers.store import categories

router = APIRouter(prefix="/lecturers", tags=["lecturers"])
categories_router = APIRouter(prefix="/course-categories", tags=["lecturers"])


def _out(lecturer: Lecturer) -> LecturerOut:
    return LecturerOut.model_validate(lecturer, from_attributes=True)


@router.post(
    "",
    summary="Add a lecturer",
    response_model=LecturerOut,
    status_code=status.HTTP_201_CREATED,
)
def create_lecturer(
    body: LecturerCreate, session: WriteSessionDep, who: LecturerWriter
) -> LecturerOut:
    return _out(lecturers.add(session, who, body))


@router.patch(
    "/{lecturer_id}",
    summary="Correct a lecturer's record (the consent stays the lecturer's)",
    response_model=LecturerOut,
)
def update_lecturer(
    lecturer_id: Id, body: LecturerUpdate, session: WriteSessionDep, _who: LecturerWriter
) -> LecturerOut:
    return _out(lecturers.update(session, lecturer_id, body))


# Reads by a searcher write their personal-data read rows, so they take the
# write session (the engine's writer gate, BEGIN IMMEDIATE on SQLite): a read
# transaction upgraded to write would fail at once beside another commit.
@router.get("", summary="List lecturers", response_model=Page[LecturerOut])
def list_lecturers(
    session: WriteSessionDep,
    who: Searcher,
    page: PageDep,
    name: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[LecturerOut]:
    rows, cursor = lecturers.page(session, who, page, name)
    return Page[LecturerOut](items=[_out(r) for r in rows], next_cursor=cursor, limit=page.limit)


@router.get("/{lecturer_id}", summary="One lecturer", response_model=LecturerOut)
def get_lecturer(lecturer_id: Id, session: WriteSessionDep, who: Searcher) -> LecturerOut:
    return _out(lecturers.read(session, who, lecturer_id))


@categories_router.get(
    "",
    summary="The lifelong-learning-portal course categories (終身學習入口網站課程類別)",
    response_model=Page[CategoryOut],
)
def list_categories(session: SessionDep, _who: Searcher) -> Page[CategoryOut]:
    # A short, fixed list: one page in the list envelope, like every list.
    return whole_page([CategoryOut(code=c.code, name=c.name) for c in categories.active(session)])
