"""Learning records: read within one's reach; corrected or withdrawn with history."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.db import SessionDep, WriteSessionDep
from services.common.ids import Id
from services.common.pagination import Page, PageDep, whole_page
from services.common.timeutil import format_roc
from services.training.access import RecordReader, RecordWriter
from services.training.models import Course, LearningRecord
from services.training.schemas.common import AgencyCode, PersonId
from services.training.schemas.records import CorrectionIn, HistoryOut, RecordOut, WithdrawalIn
from services.training.service import records
from services.training.store.catalogue import decode_topics

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
        topics=sorted(decode_topics(course.topics)),
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
    rows, cursor = records.page(
        session, who, page, person_id=person_id, year=year, agency_code=agency_code
    )
    return Page[RecordOut](
        items=[record_out(r, c) for r, c in rows], next_cursor=cursor, limit=page.limit
    )


@router.get("/{record_id}", summary="One learning record", response_model=RecordOut)
def get_record(record_id: Id, session: WriteSessionDep, who: RecordReader) -> RecordOut:
    return record_out(*records.read(session, who, record_id))


@router.get(
    "/{record_id}/history",
    summary="Every change to a record: who, when, why",
    response_model=Page[HistoryOut],
)
def get_record_history(
    record_id: Id, session: WriteSessionDep, who: RecordReader
) -> Page[HistoryOut]:
    return whole_page(
        [
            HistoryOut(
                version=h.version,
                action=h.action,
                at=h.at,
                actor=h.actor,
                reason=h.reason,
                before=h.before,
                after=h.after,
            )
            for h in records.history(session, who, record_id)
        ]
    )


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
    return record_out(*records.correct(session, who, record_id, body))


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
    return record_out(*records.withdraw(session, who, record_id, body))
