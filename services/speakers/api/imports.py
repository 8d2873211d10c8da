"""Bulk import of lecturers and engagement records, streamed from the request
body through the kernel's import pipeline; the job and its errors read back.

A job is read by the account that started it, or by an importer whose agencies
cover all of the job's; anyone else finds no such job (a 403 would tell which
ids exist)."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES, NotFound
from services.common.ids import Id
from services.common.importing.http import (
    ERRORS_CSV_RESPONSES,
    IDEMPOTENCY_KEY_PATTERN,
    IMPORT_BODY,
    ImportFormat,
    ImportStart,
    errors_csv,
    format_of,
    fresh_job_out,
    job_out,
    run_import,
)
from services.common.importing.jobs_store import readable_by
from services.common.importing.runner import ImportKind, Opened
from services.common.importing.schemas import ImportJobOut
from services.common.principal import Principal
from services.speakers.access import Importer
from services.speakers.api.import_columns import (
    ENGAGEMENT_IMPORT_DESCRIPTION,
    LECTURER_IMPORT_DESCRIPTION,
)
from services.speakers.models import ImportJob
from services.speakers.schemas import ImportSource
from services.speakers.service import engagement_import, lecturer_import
from services.speakers.service.engagement_import import EngagementImport
from services.speakers.service.lecturer_import import LecturerImport
from services.speakers.store.imports import TABLES

router = APIRouter(prefix="/imports", tags=["imports"])

SourceQuery = Annotated[
    ImportSource, Query(description="The database the rows come from, e.g. the academy's")
]
FormatQuery = Annotated[
    ImportFormat | None, Query(description="csv or jsonl; else read from the media type")
]
DryRunQuery = Annotated[bool, Query(description="Check and count; write nothing")]
KeyHeader = Annotated[
    str | None, Header(pattern=IDEMPOTENCY_KEY_PATTERN, description="Re-post with it to resume")
]


def _problem(description: str) -> dict[str, Any]:
    return {**PROBLEM_RESPONSES[500], "description": description}


IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ImportJobOut, "description": "The job with this idempotency key, resumed"},
    409: _problem("The idempotency key is in use, or the file differs on resume"),
    415: _problem("A media type or charset the import does not read"),
}


async def _start(
    request: Request,
    response: Response,
    who: Principal,
    job_source: str,
    start: tuple[ImportFormat | None, bool, str | None],
    make_kind: Callable[[ImportJob], ImportKind[Any]],
    kind: type[ImportKind[Any]],
    batch_size: int,
) -> ImportJobOut:
    explicit, dry_run, key = start
    engine: Engine = request.app.state.engine
    fmt = format_of(request.headers.get("content-type"), explicit)
    job_start = ImportStart(job_source, fmt, dry_run, key, who.sub, frozenset(who.agency_scope))
    job, opened = await run_import(
        request,
        TABLES,
        job_start,
        make_kind,
        required=tuple(kind.required),
        known=None if kind.known is None else tuple(kind.known),
        batch_size=batch_size,
    )
    assert job.id is not None
    if opened is not Opened.CREATED:
        response.status_code = 200
    return await run_in_threadpool(fresh_job_out, engine, TABLES, job.id)


@router.post(
    "/lecturers",
    summary="Import lecturers (CSV or JSON lines), idempotent by the source's lecturer number",
    response_model=ImportJobOut,
    status_code=201,
    responses=IMPORT_RESPONSES,
    description=LECTURER_IMPORT_DESCRIPTION,
    openapi_extra=IMPORT_BODY,
)
async def import_lecturers(
    request: Request,
    response: Response,
    who: Importer,
    source: SourceQuery,
    format: FormatQuery = None,
    dry_run: DryRunQuery = False,
    idempotency_key: KeyHeader = None,
) -> ImportJobOut:
    def make_kind(_job: ImportJob) -> LecturerImport:
        return LecturerImport(source=source, actor=who.sub, dry_run=dry_run)

    return await _start(
        request,
        response,
        who,
        f"lecturers:{source}",
        (format, dry_run, idempotency_key),
        make_kind,
        LecturerImport,
        lecturer_import.BATCH_SIZE,
    )


@router.post(
    "/engagements",
    summary="Import engagement records (CSV or JSON lines), idempotent by what each records",
    response_model=ImportJobOut,
    status_code=201,
    responses=IMPORT_RESPONSES,
    description=ENGAGEMENT_IMPORT_DESCRIPTION,
    openapi_extra=IMPORT_BODY,
)
async def import_engagements(
    request: Request,
    response: Response,
    who: Importer,
    source: SourceQuery,
    format: FormatQuery = None,
    dry_run: DryRunQuery = False,
    idempotency_key: KeyHeader = None,
) -> ImportJobOut:
    def make_kind(_job: ImportJob) -> EngagementImport:
        return EngagementImport(source=source, actor=who.sub, dry_run=dry_run)

    return await _start(
        request,
        response,
        who,
        f"engagements:{source}",
        (format, dry_run, idempotency_key),
        make_kind,
        EngagementImport,
        engagement_import.BATCH_SIZE,
    )


def _read_job(session: Session, who: Principal, job_id: int) -> ImportJob:
    job = TABLES.get(session, job_id)
    if job is None or not readable_by(job, who.sub, who.agency_scope):
        raise NotFound("no such import")
    return job


@router.get(
    "/{job_id}",
    summary="An import job: status, counts, the first errors",
    response_model=ImportJobOut,
)
def get_import(job_id: Id, session: SessionDep, who: Importer) -> ImportJobOut:
    return job_out(session, TABLES, _read_job(session, who, job_id))


@router.get(
    "/{job_id}/errors.csv",
    summary="Every row error of an import, as CSV",
    response_class=StreamingResponse,
    responses=ERRORS_CSV_RESPONSES,
)
def get_import_errors(job_id: Id, session: SessionDep, who: Importer) -> StreamingResponse:
    return errors_csv(session, TABLES, _read_job(session, who, job_id))
