"""Learning records: read within one's reach; corrected or withdrawn with history."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.db import SessionDep, WriteSessionDep
from services.common.errors import FieldError, Invalid, NotFound
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.common.principal import Principal
from services.common.timeutil import format_roc
from services.training.access import (
    RECORDS_READ,
    RECORDS_WRITE,
    RecordReader,
    RecordWriter,
    check_person,
    reach,
)
from services.training.models import Course, LearningRecord, personal_data_reads
from services.training.schemas.common import AgencyCode, PersonId
from services.training.schemas.records import CorrectionIn, HistoryOut, RecordOut, WithdrawalIn
from services.training.store import catalogue, records

router = APIRouter(prefix="/records", tags=["records"])
Year = Annotated[int | None, Query(ge=1912, le=9999)]


def record_out(row: LearningRecord, course: Course) -> RecordOut:
    assert row.id is not None
    return RecordOut(
        id=row.id,
        source=row.source,
        external_id=row.external_id,
        person_id=row.person_id,
        agency_code=row.agency_code,
        unit_id=row.unit_id,
        course_id=row.course_id,
        course_title=course.title,
        category_code=course.category_code,
        topics=sorted(catalogue.decode_topics(course.topics)),
        is_digital=course.is_digital,
        hours=row.hours,
        completed_on=row.completed_on,
        completed_on_roc=format_roc(row.completed_on),
        completed_at=row.completed_at,
        year=row.year,
        withdrawn=row.withdrawn,
        version=row.version,
        updated_at=row.updated_at,
    )


def _visible(
    session: Session, who: Principal, record_id: int, permission: str
) -> tuple[LearningRecord, Course]:
    found = records.get(session, record_id)
    if found is None:
        raise NotFound("no such record")
    row = found[0]
    check_person(reach(session, who, permission), row.person_id, row.agency_code, row.unit_id)
    return found


@router.get(
    "", summary="Learning records within the caller's reach", response_model=Page[RecordOut]
)
def list_records(
    session: WriteSessionDep,
    who: RecordReader,
    page: PageDep,
    person_id: Annotated[PersonId | None, Query()] = None,
    year: Year = None,
    agency_code: Annotated[AgencyCode | None, Query()] = None,
) -> Page[RecordOut]:
    seen = reach(session, who, RECORDS_READ)
    visible = seen.clause(
        LearningRecord.person_id, LearningRecord.agency_code, LearningRecord.unit_id
    )
    rows, cursor = records.list_page(
        session, visible, page, person_id=person_id, year=year, agency_code=agency_code
    )
    record_personal_data_read(
        session, personal_data_reads, who, sorted({r.person_id for r, _ in rows}), "records"
    )
    return Page[RecordOut](
        items=[record_out(r, c) for r, c in rows], next_cursor=cursor, limit=page.limit
    )


@router.get("/{record_id}", summary="One learning record", response_model=RecordOut)
def get_record(record_id: Id, session: WriteSessionDep, who: RecordReader) -> RecordOut:
    row, course = _visible(session, who, record_id, RECORDS_READ)
    record_personal_data_read(session, personal_data_reads, who, [row.person_id], "record")
    return record_out(row, course)


@router.get(
    "/{record_id}/history",
    summary="Every change to a record: who, when, why",
    response_model=list[HistoryOut],
)
def get_record_history(
    record_id: Id, session: WriteSessionDep, who: RecordReader
) -> list[HistoryOut]:
    row, _course = _visible(session, who, record_id, RECORDS_READ)
    record_personal_data_read(session, personal_data_reads, who, [row.person_id], "record history")
    return [
        HistoryOut(
            version=h.version,
            action=h.action,
            at=h.at,
            actor=h.actor,
            reason=h.reason,
            before=h.before,
            after=h.after,
        )
        for h in records.history(session, record_id)
    ]


@router.post(
    "/{record_id}/corrections",
    summary="Correct a record (the old values stay in its history)",
    response_model=RecordOut,
)
def correct_record(
    record_id: Id,
    body: CorrectionIn,
    session: SessionDep,
    who: RecordWriter,
) -> RecordOut:
    row, course = _visible(session, who, record_id, RECORDS_WRITE)
    if body.hours is None and body.completed_on is None and body.course_id is None:
        raise Invalid("nothing to correct: send hours, completed_on or course_id")
    if body.course_id is not None:
        found = catalogue.get_course(session, body.course_id)
        if found is None:
            raise Invalid(
                "no such course",
                errors=[FieldError(field="body.course_id", reason="no such course")],
            )
        course = found
    records.change(
        session,
        row,
        action="corrected",
        actor=who.sub,
        reason=body.reason,
        hours=body.hours,
        completed_on=body.completed_on,
        course_id=body.course_id,
    )
    return record_out(row, course)


@router.post(
    "/{record_id}/withdrawal",
    summary="Withdraw a record: it stops counting, and stays in the history",
    response_model=RecordOut,
)
def withdraw_record(
    record_id: Id,
    body: WithdrawalIn,
    session: SessionDep,
    who: RecordWriter,
) -> RecordOut:
    row, course = _visible(session, who, record_id, RECORDS_WRITE)
    if not row.withdrawn:
        records.change(
            session, row, action="withdrawn", actor=who.sub, reason=body.reason, withdraw=True
        )
    return record_out(row, course)
