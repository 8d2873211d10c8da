"""Attendance and overtime records: entered one by one or imported in bulk,
checked against the work-hour limits, decided by the unit supervisor."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from services.attendance.api.deps import (
    OvertimeApprover,
    OvertimeRequester,
    RecordsImporter,
    RecordsReader,
    RecordsWriter,
    WriteSessionDep,
)
from services.attendance.api.import_columns import (
    ATTENDANCE_IMPORT_DESCRIPTION,
    OVERTIME_IMPORT_DESCRIPTION,
)
from services.attendance.api.imports import (
    ASYNC_IMPORT_BODY,
    ASYNC_IMPORT_RESPONSES,
    add_job_routes,
    portable,
    record_source_of,
    start_import,
)
from services.attendance.api.responses import ALREADY_DECIDED
from services.attendance.models import ImportJob
from services.attendance.schemas import (
    AttendanceRecordIn,
    AttendanceRecordOut,
    DecisionIn,
    ImportResult,
    Month,
    OvertimeIn,
    OvertimeOut,
    RuleWarning,
)
from services.attendance.service import (
    clocked_days,
    overtime_import,
    overtime_requests,
    record_import,
)
from services.attendance.service.overtime_import import OvertimeImport
from services.attendance.service.overtime_requests import OvertimeView
from services.attendance.service.record_import import AttendanceImport
from services.common.ids import Id
from services.common.importing.http import (
    IDEMPOTENCY_KEY_PATTERN,
    ImportFormat,
)
from services.common.pagination import Page, PageDep

router = APIRouter(tags=["records"])

RecordSource = Annotated[
    str, Query(min_length=1, max_length=64, description="What the rows are filed under")
]
IdempotencyKey = Annotated[
    str | None,
    Header(pattern=IDEMPOTENCY_KEY_PATTERN, description="Re-post with it to resume"),
]
DryRun = Annotated[bool, Query(description="Check and count; write nothing")]


def _attendance_kind(job: ImportJob) -> AttendanceImport:
    assert job.id is not None
    return AttendanceImport(
        job.id, scope=job.agency_scope, record_source=record_source_of(job), dry_run=job.dry_run
    )


def _overtime_kind(job: ImportJob) -> OvertimeImport:
    assert job.id is not None
    return OvertimeImport(
        job.id, scope=job.agency_scope, record_source=record_source_of(job), dry_run=job.dry_run
    )


portable(record_import.SOURCE, _attendance_kind, record_import.BATCH_SIZE)
portable(overtime_import.SOURCE, _overtime_kind, overtime_import.BATCH_SIZE)


def _overtime_out(view: OvertimeView) -> OvertimeOut:
    out = OvertimeOut.model_validate(view.record, from_attributes=True)
    out.grant_id = view.grant_id
    out.reports = view.reports
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
    day = clocked_days.create(session, principal, body)
    out = AttendanceRecordOut.model_validate(day.record, from_attributes=True)
    out.warnings = [RuleWarning.of(w) for w in day.warnings]
    return out


@router.post(
    "/attendance-records/import",
    summary="Import clocked days (CSV or JSON lines), idempotent by (source, source_id)",
    response_model=ImportResult,
    description=ATTENDANCE_IMPORT_DESCRIPTION,
    responses=ASYNC_IMPORT_RESPONSES,
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def import_attendance_records(
    request: Request,
    principal: RecordsImporter,
    source: RecordSource,
    format: Annotated[ImportFormat | None, Query()] = None,
    dry_run: DryRun = False,
    idempotency_key: IdempotencyKey = None,
) -> ImportResult | Response:
    def make_kind(job: ImportJob) -> AttendanceImport:
        assert job.id is not None
        return AttendanceImport(
            job.id, scope=principal.agency_scope, record_source=source, dry_run=dry_run
        )

    return await start_import(
        request,
        principal,
        source=record_import.SOURCE,
        explicit_format=format,
        dry_run=dry_run,
        key=idempotency_key,
        make_kind=make_kind,
        batch_size=record_import.BATCH_SIZE,
        record_source=source,
    )


add_job_routes(
    router,
    path="/attendance-records/imports",
    source=record_import.SOURCE,
    reader=RecordsImporter,
    name="attendance",
    noun="clocked-day",
    one_summary="status, counts, the first errors and the warnings",
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
    return _overtime_out(overtime_requests.create(session, principal, body))


@router.post(
    "/overtime/import",
    summary="Import overtime (CSV or JSON lines), idempotent by (source, source_id)",
    response_model=ImportResult,
    description=OVERTIME_IMPORT_DESCRIPTION,
    responses=ASYNC_IMPORT_RESPONSES,
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def import_overtime(
    request: Request,
    principal: RecordsImporter,
    source: RecordSource,
    format: Annotated[ImportFormat | None, Query()] = None,
    dry_run: DryRun = False,
    idempotency_key: IdempotencyKey = None,
) -> ImportResult | Response:
    def make_kind(job: ImportJob) -> OvertimeImport:
        assert job.id is not None
        return OvertimeImport(
            job.id, scope=principal.agency_scope, record_source=source, dry_run=dry_run
        )

    return await start_import(
        request,
        principal,
        source=overtime_import.SOURCE,
        explicit_format=format,
        dry_run=dry_run,
        key=idempotency_key,
        make_kind=make_kind,
        batch_size=overtime_import.BATCH_SIZE,
        record_source=source,
    )


add_job_routes(
    router,
    path="/overtime/imports",
    source=overtime_import.SOURCE,
    reader=RecordsImporter,
    name="overtime",
    noun="overtime",
    one_summary="status, counts and the first errors",
)


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
    views, nxt = overtime_requests.page(
        session, principal, page, person_id=person_id, month=month, status=status
    )
    return Page[OvertimeOut](
        items=[_overtime_out(v) for v in views], next_cursor=nxt, limit=page.limit
    )


@router.get("/overtime/{overtime_id}", summary="One overtime record", response_model=OvertimeOut)
def get_overtime(
    overtime_id: Id, session: WriteSessionDep, principal: RecordsReader
) -> OvertimeOut:
    return _overtime_out(overtime_requests.read(session, principal, overtime_id))


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
    note = body.note if body else None
    return _overtime_out(overtime_requests.approve(session, principal, overtime_id, note))


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
    note = body.note if body else None
    return _overtime_out(overtime_requests.reject(session, principal, overtime_id, note))
