"""Lecturers (講座): the minimal directory the training service validates against."""

# No `from __future__ import annotations`: FastAPI resolves the annotated
# dependencies at import time.

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.common.audit import record_personal_data_read
from services.common.db import SessionDep
from services.common.errors import NotFound
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.speakers import store
from services.speakers.access import LecturerWriter, Searcher
from services.speakers.models import Lecturer, personal_data_reads
from services.speakers.schemas import LecturerCreate, LecturerOut

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
    return _out(store.create_lecturer(session, body, who.sub))


@router.get("", summary="List lecturers", response_model=Page[LecturerOut])
def list_lecturers(
    session: SessionDep,
    who: Searcher,
    page: PageDep,
    name: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[LecturerOut]:
    rows, cursor = store.list_lecturers(session, page, name)
    record_personal_data_read(
        session, personal_data_reads, who, [f"lecturer:{r.id}" for r in rows], "lecturers"
    )
    return Page[LecturerOut](items=[_out(r) for r in rows], next_cursor=cursor, limit=page.limit)


@router.get("/{lecturer_id}", summary="One lecturer", response_model=LecturerOut)
def get_lecturer(lecturer_id: Id, session: SessionDep, who: Searcher) -> LecturerOut:
    lecturer = store.get_lecturer(session, lecturer_id)
    if lecturer is None:
        raise NotFound("no such lecturer")
    record_personal_data_read(
        session, personal_data_reads, who, [f"lecturer:{lecturer_id}"], "lecturer"
    )
    return _out(lecturer)
