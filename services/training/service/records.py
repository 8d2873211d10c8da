"""Reading learning records within the caller's reach, correcting and withdrawing
them with history; every read is in the personal-data read log."""

from __future__ import annotations

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import FieldError, Invalid, NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.training.access import RECORDS_READ, RECORDS_WRITE, check_person, reach
from services.training.models import (
    Course,
    LearningRecord,
    LearningRecordHistory,
    personal_data_reads,
)
from services.training.schemas.records import CorrectionIn, WithdrawalIn
from services.training.store import catalogue, records

Found = tuple[LearningRecord, Course]


def _visible(session: Session, who: Principal, record_id: int, permission: str) -> Found:
    found = records.get(session, record_id)
    if found is None:
        raise NotFound("no such record")
    row = found[0]
    check_person(reach(session, who, permission), row.person_id, row.agency_code, row.unit_id)
    return found


def page(
    session: Session,
    who: Principal,
    params: PageParams,
    *,
    person_id: str | None,
    year: int | None,
    agency_code: str | None,
) -> tuple[list[Found], str | None]:
    seen = reach(session, who, RECORDS_READ)
    visible = seen.clause(
        LearningRecord.person_id, LearningRecord.agency_code, LearningRecord.unit_id
    )
    rows, cursor = records.list_page(
        session, visible, params, person_id=person_id, year=year, agency_code=agency_code
    )
    record_personal_data_read(
        session, personal_data_reads, who, sorted({r.person_id for r, _ in rows}), "records"
    )
    return rows, cursor


def read(session: Session, who: Principal, record_id: int) -> Found:
    row, course = _visible(session, who, record_id, RECORDS_READ)
    record_personal_data_read(session, personal_data_reads, who, [row.person_id], "record")
    return row, course


def history(session: Session, who: Principal, record_id: int) -> list[LearningRecordHistory]:
    row, _course = _visible(session, who, record_id, RECORDS_READ)
    record_personal_data_read(session, personal_data_reads, who, [row.person_id], "record history")
    return records.history(session, record_id)


def correct(session: Session, who: Principal, record_id: int, body: CorrectionIn) -> Found:
    """The record corrected, with its course (the new one when the course changed)."""
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
    return row, course


def withdraw(session: Session, who: Principal, record_id: int, body: WithdrawalIn) -> Found:
    """The record withdrawn; withdrawing it again changes nothing."""
    row, course = _visible(session, who, record_id, RECORDS_WRITE)
    if not row.withdrawn:
        records.change(
            session, row, action="withdrawn", actor=who.sub, reason=body.reason, withdraw=True
        )
    return row, course
