"""Adding, correcting and reading lecturers; every read by a searcher is in the
personal-data read log, and every change re-indexes the lecturer for search."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.timeutil import now_utc
from services.speakers.models import Lecturer, personal_data_reads
from services.speakers.schemas import LecturerCreate, LecturerUpdate, ProfileUpdate
from services.speakers.store import categories
from services.speakers.store import lecturers as store
from services.speakers.store.search_index import reindex

# Fields a lecturer row takes straight from a create or update body.
PLAIN_FIELDS = (
    "name",
    "organisation",
    "agency_code",
    "title",
    "expertise",
    "biography",
    "email",
    "phone",
)


def category_ids(session: Session, codes: Sequence[str], where: str) -> list[int]:
    """The ids of the named active categories; an unknown code is a 422 naming it."""
    found = categories.by_codes(session, codes)
    errors = [
        FieldError(field=f"{where}.{i}", reason="no such course category", code="unknown_category")
        for i, code in enumerate(codes)
        if code not in found
    ]
    if errors:
        raise Invalid("some course categories are unknown", errors=errors)
    return [c.id for c in found.values() if c.id is not None]


def _person_taken() -> Conflict:
    return Conflict(
        "another lecturer is linked to this person",
        errors=[FieldError(field="body.person_id", reason="already linked", code="taken")],
    )


def _flush_linked(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _person_taken() from None


def add(session: Session, who: Principal, body: LecturerCreate) -> Lecturer:
    ids = category_ids(session, body.category_codes, "body.category_codes")
    if body.person_id is not None and store.by_person(session, body.person_id) is not None:
        raise _person_taken()
    lecturer = Lecturer(
        **body.model_dump(include=set(PLAIN_FIELDS)), person_id=body.person_id, created_by=who.sub
    )
    session.add(lecturer)
    _flush_linked(session)
    assert lecturer.id is not None
    categories.replace(session, lecturer.id, ids)
    reindex(session, lecturer.id)
    return lecturer


def _apply(session: Session, lecturer: Lecturer, body: LecturerUpdate | ProfileUpdate) -> Lecturer:
    assert lecturer.id is not None
    given = body.model_dump(exclude_unset=True)
    if "category_codes" in given and given["category_codes"] is not None:
        categories.replace(
            session,
            lecturer.id,
            category_ids(session, given["category_codes"], "body.category_codes"),
        )
    for name, value in given.items():
        if name == "category_codes" or value is None:
            continue
        setattr(lecturer, name, value)
    lecturer.updated_at = now_utc()
    session.add(lecturer)
    _flush_linked(session)
    reindex(session, lecturer.id)
    return lecturer


def update(session: Session, lecturer_id: int, body: LecturerUpdate) -> Lecturer:
    lecturer = store.get(session, lecturer_id)
    if lecturer is None:
        raise NotFound("no such lecturer")
    if body.person_id is not None:
        other = store.by_person(session, body.person_id)
        if other is not None and other.id != lecturer_id:
            raise _person_taken()
    return _apply(session, lecturer, body)


def update_own(session: Session, lecturer: Lecturer, body: ProfileUpdate) -> Lecturer:
    return _apply(session, lecturer, body)


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
