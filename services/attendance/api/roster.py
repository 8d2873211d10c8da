"""The roster: person facts imported from the directory (agency, unit,
supervisor, regime, status, hourly rate), so that rules and jobs never need a
per-person call to another service."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from services.attendance.api.deps import RecordsReader, RosterImporter
from services.attendance.api.import_columns import ROSTER_IMPORT_DESCRIPTION
from services.attendance.api.imports import (
    ASYNC_IMPORT_BODY,
    ASYNC_IMPORT_RESPONSES,
    job_errors,
    job_page,
    portable,
    read_job,
    result,
    start_import,
)
from services.attendance.models import ImportJob
from services.attendance.schemas import ImportResult, RosterPersonOut
from services.attendance.service import roster, roster_import
from services.attendance.service.roster_import import RosterImport
from services.common.db import SessionDep, WriteSessionDep
from services.common.ids import Id
from services.common.importing.http import (
    ERRORS_CSV_RESPONSES,
    IDEMPOTENCY_KEY_PATTERN,
    ImportFormat,
    ImportStatus,
)
from services.common.importing.schemas import ImportJobSummary
from services.common.pagination import Page, PageDep

router = APIRouter(prefix="/roster", tags=["roster"])


def _roster_kind(job: ImportJob) -> RosterImport:
    return RosterImport(scope=job.agency_scope, actor=job.created_by, dry_run=job.dry_run)


portable(roster_import.SOURCE, _roster_kind, roster_import.BATCH_SIZE)


@router.post(
    "/import",
    summary="Import roster rows (CSV or JSON lines), idempotent by person id",
    response_model=ImportResult,
    description=ROSTER_IMPORT_DESCRIPTION,
    responses=ASYNC_IMPORT_RESPONSES,
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def import_roster(
    request: Request,
    principal: RosterImporter,
    format: Annotated[ImportFormat | None, Query()] = None,
    dry_run: Annotated[bool, Query(description="Check and count; write nothing")] = False,
    idempotency_key: Annotated[
        str | None,
        Header(pattern=IDEMPOTENCY_KEY_PATTERN, description="Re-post with it to resume"),
    ] = None,
) -> ImportResult | Response:
    def make_kind(job: ImportJob) -> RosterImport:
        return RosterImport(scope=principal.agency_scope, actor=principal.sub, dry_run=dry_run)

    return await start_import(
        request,
        principal,
        source=roster_import.SOURCE,
        explicit_format=format,
        dry_run=dry_run,
        key=idempotency_key,
        make_kind=make_kind,
        batch_size=roster_import.BATCH_SIZE,
    )


@router.get(
    "/imports",
    summary="Roster imports the caller may read (queued, running, finished)",
    response_model=Page[ImportJobSummary],
)
def list_roster_imports(
    session: SessionDep,
    principal: RosterImporter,
    page: PageDep,
    status: ImportStatus | None = None,
) -> Page[ImportJobSummary]:
    return job_page(session, principal, roster_import.SOURCE, page, status)


@router.get(
    "/imports/{job_id}",
    summary="A roster import: status, counts and the first errors",
    response_model=ImportResult,
)
def get_roster_import(job_id: Id, session: SessionDep, principal: RosterImporter) -> ImportResult:
    return result(session, read_job(session, principal, roster_import.SOURCE, job_id))


@router.get(
    "/imports/{job_id}/errors.csv",
    summary="Every row error of a roster import, as CSV",
    response_class=StreamingResponse,
    responses=ERRORS_CSV_RESPONSES,
)
def get_roster_import_errors(
    job_id: Id, session: SessionDep, principal: RosterImporter
) -> StreamingResponse:
    return job_errors(session, principal, roster_import.SOURCE, job_id)


@router.get(
    "/{person_id}",
    summary="One person's roster facts",
    response_model=RosterPersonOut,
)
def get_roster_person(
    person_id: str, session: WriteSessionDep, principal: RecordsReader
) -> RosterPersonOut:
    person = roster.read_person(session, principal, person_id)
    return RosterPersonOut.model_validate(person, from_attributes=True)
