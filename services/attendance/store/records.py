"""Attendance records, overtime records and the cases reported to the authority."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from services.attendance.domain.workdays import ClockedDay, OvertimeDay
from services.attendance.domain.worktime import Report
from services.attendance.models import AttendanceRecord, AuthorityReport, OvertimeRecord
from services.common.pagination import PageParams, paginate

# Overtime still counts against the limits until it is rejected.
COUNTED = ("pending", "approved")


def attendance_by_source(session: Session, source: str, source_id: str) -> AttendanceRecord | None:
    return session.exec(
        select(AttendanceRecord).where(
            col(AttendanceRecord.source) == source, col(AttendanceRecord.source_id) == source_id
        )
    ).first()


def overtime_by_source(session: Session, source: str, source_id: str) -> OvertimeRecord | None:
    return session.exec(
        select(OvertimeRecord).where(
            col(OvertimeRecord.source) == source, col(OvertimeRecord.source_id) == source_id
        )
    ).first()


def clocked_days(session: Session, person_id: str, start: date, end: date) -> list[ClockedDay]:
    rows = session.exec(
        select(AttendanceRecord)
        .where(
            col(AttendanceRecord.person_id) == person_id,
            col(AttendanceRecord.day) >= start,
            col(AttendanceRecord.day) <= end,
        )
        .order_by(col(AttendanceRecord.day), col(AttendanceRecord.id))
    ).all()
    return [
        ClockedDay(r.day, r.normal_minutes, r.is_rest_day, r.clock_in, r.clock_out) for r in rows
    ]


def overtime_days(session: Session, person_id: str, start: date, end: date) -> list[OvertimeDay]:
    rows = session.exec(
        select(OvertimeRecord)
        .where(
            col(OvertimeRecord.person_id) == person_id,
            col(OvertimeRecord.day) >= start,
            col(OvertimeRecord.day) <= end,
            col(OvertimeRecord.status).in_(COUNTED),
        )
        .order_by(col(OvertimeRecord.day), col(OvertimeRecord.id))
    ).all()
    return [OvertimeDay(r.day, r.minutes, r.is_rest_day, r.urgent, r.starts_at) for r in rows]


def record_reports(
    session: Session,
    *,
    person_id: str,
    agency_code: str,
    regime: str,
    overtime_id: int | None,
    reports: tuple[Report, ...],
) -> None:
    """One stored case per person, kind and period; a later record in the same
    period updates the figures rather than adding a second case."""
    for report in reports:
        existing = session.exec(
            select(AuthorityReport).where(
                col(AuthorityReport.person_id) == person_id,
                col(AuthorityReport.code) == report.code,
                col(AuthorityReport.period_start) == report.period_start,
            )
        ).first()
        if existing is None:
            session.add(
                AuthorityReport(
                    person_id=person_id,
                    agency_code=agency_code,
                    code=report.code,
                    regime=regime,
                    period_start=report.period_start,
                    period_end=report.period_end,
                    event_day=report.event_day,
                    threshold_minutes=report.threshold_minutes,
                    actual_minutes=report.actual_minutes,
                    message=report.message,
                    overtime_id=overtime_id,
                )
            )
        elif report.actual_minutes > existing.actual_minutes:
            existing.actual_minutes = report.actual_minutes
            existing.message = report.message
            session.add(existing)


def monthly_overtime_by_person(
    session: Session, agency_code: str, start: date, end: date
) -> dict[str, int]:
    stmt = (
        sa_select(col(OvertimeRecord.person_id), func.sum(col(OvertimeRecord.minutes)))
        .where(
            col(OvertimeRecord.agency_code) == agency_code,
            col(OvertimeRecord.day) >= start,
            col(OvertimeRecord.day) <= end,
            col(OvertimeRecord.status).in_(COUNTED),
        )
        .group_by(col(OvertimeRecord.person_id))
    )
    return {r[0]: int(r[1]) for r in session.execute(stmt)}


def add_overtime(session: Session, row: OvertimeRecord) -> None:
    """Store an overtime record, flushed so that its reports can name its id."""
    session.add(row)
    session.flush()


def save_overtime(session: Session, row: OvertimeRecord) -> None:
    session.add(row)


def stage_attendance(session: Session, row: AttendanceRecord) -> None:
    """Add a clocked day to the session, to be flushed with the next query."""
    session.add(row)


def add_attendance(session: Session, row: AttendanceRecord) -> None:
    """Store a clocked day, flushed so that the rules' queries see it and it has its id."""
    session.add(row)
    session.flush()


def overtime_get(session: Session, overtime_id: int) -> OvertimeRecord | None:
    return session.get(OvertimeRecord, overtime_id)


def overtime_page(
    session: Session,
    persons: ColumnElement[bool],
    page: PageParams,
    *,
    person_id: str | None = None,
    status: str | None = None,
    days: tuple[date, date] | None = None,
) -> tuple[list[OvertimeRecord], str | None]:
    """One page of overtime, oldest first, of the persons `persons` admits (a
    clause on `OvertimeRecord.person_id`); `days` is a half-open range."""
    stmt = select(OvertimeRecord).where(persons)
    if person_id is not None:
        stmt = stmt.where(col(OvertimeRecord.person_id) == person_id)
    if status is not None:
        stmt = stmt.where(col(OvertimeRecord.status) == status)
    if days is not None:
        stmt = stmt.where(col(OvertimeRecord.day) >= days[0], col(OvertimeRecord.day) < days[1])
    return paginate(session, stmt, col(OvertimeRecord.id), page)


def report_codes(session: Session, overtime_id: int) -> list[str]:
    """The codes of the authority cases an overtime record gave rise to, each once, sorted."""
    codes = session.exec(
        select(AuthorityReport.code).where(col(AuthorityReport.overtime_id) == overtime_id)
    ).all()
    return sorted(set(codes))


def authority_reports_page(
    session: Session, agency_code: str, page: PageParams
) -> tuple[list[AuthorityReport], str | None]:
    stmt = select(AuthorityReport).where(col(AuthorityReport.agency_code) == agency_code)
    return paginate(session, stmt, col(AuthorityReport.id), page)
