"""Adding and reading lecturers; every read by a searcher is in the
personal-data read log."""

from __future__ import annotations

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.speakers.models import Lecturer, personal_data_reads
from services.speakers.schemas import LecturerCreate
from services.speakers.store import lecturers as store


def add(session: Session, who: Principal, body: LecturerCreate) -> Lecturer:
    return store.create(session, body, who.sub)


def page(
    session: Session, who: Principal, params: PageParams, name: str | None
) -> tuple[list[Lecturer], str | None]:
    rows, cursor = store.page(session, params, name)
    record_personal_data_read(
        session, personal_data_reads, who, [f"lecturer:{r.id}" for r in rows], "lecturers"
    )
    return rows, cursor


def read(session: Session, who: Principal, lecturer_id: int) -> Lecturer:
    lecturer = store.get(session, lecturer_id)
    if lecturer is None:
        raise NotFound("no such lecturer")
    record_personal_data_read(
        session, personal_data_reads, who, [f"lecturer:{lecturer_id}"], "lecturer"
    )
    return lecturer
