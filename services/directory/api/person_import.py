"""Bulk upsert of persons from a CSV or JSON Lines file, streamed through the
kernel's import pipeline; the job and its errors read back afterwards."""

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.db import SessionDep
from services.common.errors import NotFound
from services.common.ids import Id
from services.common.importing.columns import columns_of, describe_import
from services.common.importing.http import (
    ASYNC_IMPORT_BODY,
    ASYNC_IMPORT_RESPONSES,
    ERRORS_CSV_RESPONSES,
    IDEMPOTENCY_KEY_PATTERN,
    ImportStart,
    ImportStatus,
    errors_csv,
    job_list,
    queue_or_run_import,
)
from services.common.importing.jobs_store import JobTables, readable_by
from services.common.importing.progress import progress_of
from services.common.importing.queue import PortableImport, portable_import
from services.common.importing.schemas import ImportJobSummary
from services.common.pagination import Page, PageDep
from services.common.principal import Principal
from services.directory.access import agencies_reach
from services.directory.api.deps import PERSONS_IMPORT, PersonsImporter, SettingsDep
from services.directory.domain.person_rows import ImportRow
from services.directory.models import PersonImportError, PersonImportJob
from services.directory.schemas import ImportReport, ImportRowError
from services.directory.service import person_import
from services.directory.service.person_import import SOURCE, PersonImport
from services.directory.settings import DirectorySettings

router = APIRouter(tags=["persons"])
TABLES = JobTables(PersonImportJob, PersonImportError)
REPORTED_ERRORS = 1000

PERSON_COLUMNS = columns_of(
    ImportRow,
    {
        "id": "P0012345",
        "name": "王小明",
        "agency_code": "A01",
        "unit_code": "HR",
        "national_id": "A123456789",
        "email": "wang@example.gov.tw",
        "phone": "02-2345-6789",
        "status": "active",
        "status_changed_on": "115/03/02",
        "supervisor_id": "P0010001",
    },
    formats={
        "national_id": "national ID (身分證字號 or 居留證號): kept only as a keyed hash and masked",
        "status_changed_on": "ISO date (YYYY-MM-DD) or ROC date (115/03/02)",
    },
)
IMPORT_DESCRIPTION = describe_import(
    "One row per person, created or updated by personnel id (`id`). A column the "
    "file leaves out stays as stored; an empty cell clears an optional field.",
    PERSON_COLUMNS,
)


def _person_kind(job: PersonImportJob, settings: DirectorySettings) -> PersonImport:
    """The import of a job, from the job and the settings alone: any worker runs it."""
    assert job.id is not None
    return PersonImport(
        job.id,
        reach=agencies_reach(job.agency_scope, PERSONS_IMPORT),
        key=settings.national_id_key,
        actor=job.created_by,
        dry_run=job.dry_run,
    )


PERSONS = PortableImport(
    TABLES, _person_kind, PersonImport.required, PersonImport.known, person_import.BATCH_SIZE
)
portable_import("directory", SOURCE, PERSONS)


def _report(session: Session, job: PersonImportJob) -> ImportReport:
    assert job.id is not None
    errors = TABLES.first_errors(session, job.id, REPORTED_ERRORS + 1)
    return ImportReport(
        job_id=job.id,
        status=job.status,
        format="jsonl" if job.format == "jsonl" else "csv",
        dry_run=job.dry_run,
        rows=job.rows_read,
        created=job.inserted,
        updated=job.updated,
        unchanged=job.unchanged,
        failed=job.failed,
        errors=[
            ImportRowError(row=e.row, field=e.field, reason=e.reason, code=e.code)
            for e in errors[:REPORTED_ERRORS]
        ],
        errors_truncated=len(errors) > REPORTED_ERRORS,
        accounts_disabled=job.accounts_disabled,
        failure=job.failure,
        progress=progress_of(job),
    )


def _fresh_report(engine: Engine, job_id: int) -> ImportReport:
    with Session(engine) as session:
        job = TABLES.get(session, job_id)
        assert job is not None
        return _report(session, job)


def _read_job(session: Session, who: Principal, job_id: int) -> PersonImportJob:
    job = TABLES.get(session, job_id)
    # The starting account, or an importer whose agencies cover all of the job's;
    # anyone else finds no such job (a 403 would tell which ids exist).
    if job is None or not readable_by(job, who.sub, who.agency_scope):
        raise NotFound("no such import")
    return job


@router.post(
    "/persons/import",
    summary="Create or update persons from a file (idempotent by personnel id)",
    response_model=ImportReport,
    description=IMPORT_DESCRIPTION,
    responses=ASYNC_IMPORT_RESPONSES,
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def import_persons(
    request: Request,
    principal: PersonsImporter,
    settings: SettingsDep,
    format: Literal["csv", "jsonl"] = "csv",
    dry_run: Annotated[bool, Query(description="Validate and count; write nothing")] = False,
    idempotency_key: Annotated[
        str | None,
        Header(pattern=IDEMPOTENCY_KEY_PATTERN, description="Re-post with it to resume"),
    ] = None,
) -> ImportReport | Response:
    engine: Engine = request.app.state.engine
    scope = frozenset(principal.agency_scope)

    def make_kind(job: PersonImportJob) -> PersonImport:
        return _person_kind(job, settings)

    start = ImportStart(SOURCE, format, dry_run, idempotency_key, principal.sub, scope)
    outcome = await queue_or_run_import(
        request,
        TABLES,
        start,
        make_kind,
        required=PersonImport.required,
        known=PersonImport.known,
        batch_size=person_import.BATCH_SIZE,
    )
    if isinstance(outcome, Response):
        return outcome  # 202: a worker runs the job
    job, _ = outcome
    assert job.id is not None
    return await run_in_threadpool(_fresh_report, engine, job.id)


@router.get(
    "/persons/imports",
    summary="Person imports the caller may read (queued, running, finished), newest first",
    response_model=Page[ImportJobSummary],
)
def list_person_imports(
    session: SessionDep,
    who: PersonsImporter,
    page: PageDep,
    status: ImportStatus | None = None,
) -> Page[ImportJobSummary]:
    return job_list(session, TABLES, who, page, sources=(SOURCE,), status=status)


@router.get(
    "/persons/imports/{job_id}",
    summary="A person import: status, counts and the first errors",
    response_model=ImportReport,
)
def get_person_import(job_id: Id, session: SessionDep, who: PersonsImporter) -> ImportReport:
    return _report(session, _read_job(session, who, job_id))


@router.get(
    "/persons/imports/{job_id}/errors.csv",
    summary="Every row error of a person import, as CSV",
    response_class=StreamingResponse,
    responses=ERRORS_CSV_RESPONSES,
)
def get_person_import_errors(
    job_id: Id, session: SessionDep, who: PersonsImporter
) -> StreamingResponse:
    return errors_csv(session, TABLES, _read_job(session, who, job_id))
