"""Recording one clocked day, with the rules the stored day falls short of."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from services.attendance.access import RECORDS_WRITE, person_in_reach, reach
from services.attendance.domain.worktime import Violation
from services.attendance.models import AttendanceRecord, RosterPerson
from services.attendance.schemas import AttendanceRecordIn
from services.attendance.service import overtime
from services.attendance.store import records
from services.common.principal import Principal


@dataclass(frozen=True)
class ClockedDay:
    record: AttendanceRecord
    warnings: tuple[Violation, ...]


def _with_warnings(session: Session, person: RosterPerson, row: AttendanceRecord) -> ClockedDay:
    """The stored day with the rules it falls short of; a replay by source id
    gets the same answer as the first post."""
    return ClockedDay(row, overtime.shift_rest_warnings(session, person, row.day))


def create(session: Session, principal: Principal, body: AttendanceRecordIn) -> ClockedDay:
    person = person_in_reach(session, reach(session, principal, RECORDS_WRITE), body.person_id)
    if body.source_id is not None:
        existing = records.attendance_by_source(session, body.source, body.source_id)
        if existing is not None:
            return _with_warnings(session, person, existing)
    row = overtime.clocked_record(
        person,
        day=body.day,
        clock_in=body.clock_in,
        clock_out=body.clock_out,
        normal=body.normal_minutes,
        is_rest_day=body.is_rest_day,
        source=body.source,
        source_id=body.source_id,
    )
    records.add_attendance(session, row)
    return _with_warnings(session, person, row)
