"""Lecturers (講座): the minimal directory the training service validates against."""

# No `from __future__ import annotations`: FastAPI resolves the annotated
# dependencies at import time.

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.common.db import SessionDep, WriteSessionDep
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.speakers.access import LecturerWriter, Searcher
from services.speakers.models import Lecturer
from services.speakers.schemas import LecturerCreate, LecturerOut
from services.speakers.service import lecturers

router = APIRouter(prefix="/lecturers", tags=["lecturers"])


def _out(lecturer: Lecturer) -> LecturerOut:
    return LecturerOut.model_validate(lecturer, from_attributes=True)


@router.post(
    "",
    summary="Add a lecturer",
    response_model=LecturerOut,
    status_code=status.HTTP_201_CREATED,
)
def create_lecturer(body: LecturerCreate, session: SessionDep, who: LecturerWriter) -> LecturerOut:
    return _out(lecturers.add(session, who, body))


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
