"""Attendance and overtime records: entered one by one or imported in bulk,
checked against the work-hour limits, decided by the unit supervisor."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from services.attendance.access import person_in_reach, reach
from services.attendance.api.deps import (
    OVERTIME_APPROVE,
    OVERTIME_REQUEST,
    RECORDS_READ,
    RECORDS_WRITE,
    OvertimeApprover,
    OvertimeRequester,
    RecordsImporter,
    RecordsReader,
    RecordsWriter,
    WriteSessionDep,
)
from services.attendance.api.imports import IMPORT_BODY, Tally, file_problem, read_import
from services.attendance.api.responses import ALREADY_DECIDED
from services.attendance.imports import FileError, ImportFormat, M, ParsedRow, parse_rows
from services.attendance.models import (
    AttendanceRecord,
    AuthorityReport,
    ComptimeGrant,
    OvertimeRecord,
    RosterPerson,
    personal_data_reads,
)
from services.attendance.schemas import (
    AttendanceRecordIn,
    AttendanceRecordOut,
    AwareDatetime,
    Compensation,
    Day,
    DecisionIn,
    ImportResult,
    Month,
    OvertimeIn,
    OvertimeOut,
    PersonId,
    Reason,
    RuleWarning,
    SourceId,
)
from services.attendance.service import overtime
from services.attendance.store import records, roster
from services.attendance.store.locking import begin_immediate, lock_person
from services.common.audit import record_personal_data_read
from services.common.bounds_dates import month_start, next_month_start
from services.common.db import SessionDep
from services.common.errors import Forbidden, NotFound, Problem
from services.common.ids import Id
from services.common.pagination import Page, PageDep, paginate
from services.common.principal import Principal
from services.common.reach import outside

router = APIRouter(tags=["records"])


def _own_or_given(principal: Principal, person_id: str | None) -> str:
    if person_id is not None:
        return person_id
    if principal.person_id is None:
        raise NotFound("no person given and the caller has none")
    return principal.person_id


def _overtime_out(session: Session, row: OvertimeRecord) -> OvertimeOut:
    grant_id = session.exec(
        select(ComptimeGrant.id).where(col(ComptimeGrant.overtime_id) == row.id)
    ).first()
    codes = session.exec(
        select(AuthorityReport.code).where(col(AuthorityReport.overtime_id) == row.id)
    ).all()
    out = OvertimeOut.model_validate(row, from_attributes=True)
    out.grant_id = grant_id
    out.reports = sorted(set(codes))
    return out


# ------------------------------------------------------------ attendance


@router.post(
    "/attendance-records",
    summary="Record one clocked day",
    response_model=AttendanceRecordOut,
    status_code=201,
)
def create_attendance_record(
    body: AttendanceRecordIn, session: WriteSessionDep, principal: RecordsWriter
) -> AttendanceRecordOut:
    person = person_in_reach(session, reach(session, principal, RECORDS_WRITE), body.person_id)
    if body.source_id is not None:
        existing = records.attendance_by_source(session, body.source, body.source_id)
        if existing is not None:
            return _attendance_out(session, person, existing)
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
    session.add(row)
    session.flush()
    return _attendance_out(session, person, row)


def _attendance_out(
    session: Session, person: RosterPerson, row: AttendanceRecord
) -> AttendanceRecordOut:
    """The stored day with the rules it falls short of; a replay by source id
    gets the same answer as the first post."""
    out = AttendanceRecordOut.model_validate(row, from_attributes=True)
    warnings = overtime.shift_rest_warnings(session, person, row.day)
    out.warnings = [RuleWarning.of(w) for w in warnings]
    return out


class AttendanceImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_id: SourceId
    person_id: PersonId
    day: Day
    clock_in: AwareDatetime | None = None
    clock_out: AwareDatetime | None = None
    normal_minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = None
    is_rest_day: bool | None = None


def _person_for_import(
    session: Session, principal: Principal, person_id: str
) -> RosterPerson | None:
    person = roster.get(session, person_id)
    if person is None or person.agency_code not in principal.agency_scope:
        return None
    return person


def _run_import(
    session: Session,
    principal: Principal,
    body: bytes,
    fmt: ImportFormat,
    model: type[M],
    dry_run: bool,
    already_imported: Callable[[M], bool],
    import_row: Callable[[ParsedRow[M], RosterPerson, Tally], bool],
) -> ImportResult:
    """The loop both bulk imports share: parse every row, skip what the source
    already delivered, check the person is the importer's, let `import_row`
    write it (True when written), and keep nothing on a dry run."""
    begin_immediate(session)
    try:
        rows, errors = parse_rows(body, fmt, model)
    except FileError as exc:
        raise file_problem(exc) from None
    tally = Tally(rows=len(rows) + len({e.row for e in errors}))
    tally.parse_errors(errors)
    outer = session.begin_nested()
    for parsed in rows:
        if already_imported(parsed.data):
            tally.unchanged += 1
            continue
        person = _person_for_import(session, principal, parsed.data.person_id)  # type: ignore[attr-defined]
        if person is None:
            tally.fail(parsed.row, "person_id", "not in the roster of the importer's agencies")
            continue
        if import_row(parsed, person, tally):
            tally.created += 1
    session.flush()
    if dry_run:
        outer.rollback()
    else:
        outer.commit()
    return tally.result(dry_run)


def _import_attendance(
    session: Session,
    principal: Principal,
    body: bytes,
    fmt: ImportFormat,
    source: str,
    dry_run: bool,
) -> ImportResult:
    def write(parsed: ParsedRow[AttendanceImportRow], person: RosterPerson, tally: Tally) -> bool:
        row = parsed.data
        try:
            record = overtime.clocked_record(
                person,
                day=row.day,
                clock_in=row.clock_in,
                clock_out=row.clock_out,
                normal=row.normal_minutes,
                is_rest_day=row.is_rest_day,
                source=source,
                source_id=row.source_id,
            )
        except Problem as exc:
            tally.fail(parsed.row, "clock_out", exc.detail or exc.title)
            return False
        session.add(record)
        for warning in overtime.shift_rest_warnings(session, person, row.day):
            tally.warn(parsed.row, warning)
        return True

    return _run_import(
        session,
        principal,
        body,
        fmt,
        AttendanceImportRow,
        dry_run,
        lambda row: records.attendance_by_source(session, source, row.source_id) is not None,
        write,
    )


@router.post(
    "/attendance-records/import",
    summary="Import clocked days (CSV or JSON lines), idempotent by (source, source_id)",
    response_model=ImportResult,
    openapi_extra=IMPORT_BODY,
)
async def import_attendance_records(
    request: Request,
    session: SessionDep,
    principal: RecordsImporter,
    source: Annotated[str, Query(min_length=1, max_length=64)],
    format: Annotated[ImportFormat | None, Query()] = None,
    dry_run: bool = False,
) -> ImportResult:
    body, fmt = await read_import(request, format)
    return await run_in_threadpool(
        _import_attendance, session, principal, body, fmt, source, dry_run
    )


# -------------------------------------------------------------- overtime


@router.post(
    "/overtime",
    summary="Record overtime; refused when it breaks a work-hour limit",
    response_model=OvertimeOut,
    status_code=201,
)
def create_overtime(
    body: OvertimeIn, session: WriteSessionDep, principal: OvertimeRequester
) -> OvertimeOut:
    person_id = _own_or_given(principal, body.person_id)
    person = person_in_reach(session, reach(session, principal, OVERTIME_REQUEST), person_id)
    if body.source_id is not None:
        existing = records.overtime_by_source(session, body.source, body.source_id)
        if existing is not None:
            return _overtime_out(session, existing)
    lock_person(session, person.person_id)
    row, _ = overtime.record(
        session,
        overtime.OvertimeDraft(
            person=person,
            day=overtime.day_of(body.day, body.starts_at),
            starts_at=body.starts_at,
            minutes=body.minutes,
            is_rest_day=body.is_rest_day,
            urgent=body.urgent,
            assigned_by=body.assigned_by,
            reason=body.reason,
            compensation=body.compensation,
            source=body.source,
            source_id=body.source_id,
        ),
    )
    return _overtime_out(session, row)


class OvertimeImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_id: SourceId
    person_id: PersonId
    day: Day | None = None
    starts_at: AwareDatetime | None = None
    minutes: Annotated[int, Field(gt=0, le=24 * 60)]
    is_rest_day: bool | None = None
    urgent: bool = False
    assigned_by: PersonId
    reason: Reason
    compensation: Compensation


def _import_overtime(
    session: Session,
    principal: Principal,
    body: bytes,
    fmt: ImportFormat,
    source: str,
    dry_run: bool,
) -> ImportResult:
    def write(parsed: ParsedRow[OvertimeImportRow], person: RosterPerson, tally: Tally) -> bool:
        row = parsed.data
        lock_person(session, person.person_id)
        savepoint = session.begin_nested()
        try:
            overtime.record(
                session,
                overtime.OvertimeDraft(
                    person=person,
                    day=overtime.day_of(row.day, row.starts_at),
                    starts_at=row.starts_at,
                    minutes=row.minutes,
                    is_rest_day=row.is_rest_day,
                    urgent=row.urgent,
                    assigned_by=row.assigned_by,
                    reason=row.reason,
                    compensation=row.compensation,
                    source=source,
                    source_id=row.source_id,
                ),
            )
        except Problem as exc:
            savepoint.rollback()
            limit = exc.extra.get("limit")
            where = f"limit:{limit}" if limit else (exc.errors[0].field if exc.errors else "")
            tally.fail(parsed.row, where, exc.detail or exc.title)
            return False
        savepoint.commit()
        return True

    return _run_import(
        session,
        principal,
        body,
        fmt,
        OvertimeImportRow,
        dry_run,
        lambda row: records.overtime_by_source(session, source, row.source_id) is not None,
        write,
    )


@router.post(
    "/overtime/import",
    summary="Import overtime (CSV or JSON lines), idempotent by (source, source_id)",
    response_model=ImportResult,
    openapi_extra=IMPORT_BODY,
)
async def import_overtime(
    request: Request,
    session: SessionDep,
    principal: RecordsImporter,
    source: Annotated[str, Query(min_length=1, max_length=64)],
    format: Annotated[ImportFormat | None, Query()] = None,
    dry_run: bool = False,
) -> ImportResult:
    body, fmt = await read_import(request, format)
    return await run_in_threadpool(_import_overtime, session, principal, body, fmt, source, dry_run)


@router.get(
    "/overtime", summary="Overtime records the caller may see", response_model=Page[OvertimeOut]
)
def list_overtime(
    session: WriteSessionDep,
    principal: RecordsReader,
    page: PageDep,
    person_id: Annotated[str | None, Query(max_length=64)] = None,
    month: Annotated[Month | None, Query()] = None,
    status: Literal["pending", "approved", "rejected"] | None = None,
) -> Page[OvertimeOut]:
    scope = reach(session, principal, RECORDS_READ)
    stmt = select(OvertimeRecord).where(scope.persons_clause(OvertimeRecord.person_id))
    if person_id is not None:
        stmt = stmt.where(col(OvertimeRecord.person_id) == person_id)
    if status is not None:
        stmt = stmt.where(col(OvertimeRecord.status) == status)
    if month is not None:
        stmt = stmt.where(
            col(OvertimeRecord.day) >= month_start(month),
            col(OvertimeRecord.day) < next_month_start(month),
        )
    rows, nxt_cursor = paginate(session, stmt, col(OvertimeRecord.id), page)
    items = [_overtime_out(session, r) for r in rows]
    record_personal_data_read(
        session,
        personal_data_reads,
        principal,
        sorted({i.person_id for i in items}),
        "overtime",
    )
    return Page[OvertimeOut](items=items, next_cursor=nxt_cursor, limit=page.limit)


def _overtime_in_reach(
    session: Session, overtime_id: int, principal: Principal, permission: str, whole_unit: bool
) -> tuple[OvertimeRecord, RosterPerson]:
    row = session.get(OvertimeRecord, overtime_id)
    if row is None:
        raise NotFound("no such overtime record")
    scope = reach(session, principal, permission, whole_unit=whole_unit)
    person = roster.get(session, row.person_id)
    if person is None or not scope.covers(person):
        raise outside(scope.scopes, "no such overtime record")
    return row, person


@router.get("/overtime/{overtime_id}", summary="One overtime record", response_model=OvertimeOut)
def get_overtime(
    overtime_id: Id, session: WriteSessionDep, principal: RecordsReader
) -> OvertimeOut:
    row, _ = _overtime_in_reach(session, overtime_id, principal, RECORDS_READ, True)
    record_personal_data_read(session, personal_data_reads, principal, [row.person_id], "overtime")
    return _overtime_out(session, row)


def _decider(principal: Principal, person: RosterPerson) -> str:
    if principal.person_id is None or principal.person_id == person.person_id:
        raise Forbidden("no one decides on their own overtime or leave")
    return principal.person_id


@router.post(
    "/overtime/{overtime_id}/approve",
    summary="Approve overtime (the unit supervisor); comp-time overtime earns its grant",
    response_model=OvertimeOut,
    responses=ALREADY_DECIDED,
)
def approve_overtime(
    overtime_id: Id,
    session: WriteSessionDep,
    principal: OvertimeApprover,
    body: DecisionIn | None = None,
) -> OvertimeOut:
    row, person = _overtime_in_reach(session, overtime_id, principal, OVERTIME_APPROVE, False)
    by = _decider(principal, person)
    overtime.approve(session, row, person, by, body.note if body else None)
    return _overtime_out(session, row)


@router.post(
    "/overtime/{overtime_id}/reject",
    summary="Reject overtime (the unit supervisor)",
    response_model=OvertimeOut,
    responses=ALREADY_DECIDED,
)
def reject_overtime(
    overtime_id: Id,
    session: WriteSessionDep,
    principal: OvertimeApprover,
    body: DecisionIn | None = None,
) -> OvertimeOut:
    row, person = _overtime_in_reach(session, overtime_id, principal, OVERTIME_APPROVE, False)
    by = _decider(principal, person)
    overtime.reject(session, row, by, body.note if body else None)
    return _overtime_out(session, row)
