"""Bulk import of lecturers and engagement records, streamed from the request
body through the kernel's import pipeline, in the request or (`Prefer:
respond-async`, or a body above `SPEAKERS_IMPORT_ASYNC_BYTES`) as a queued job
any speakers worker runs; the jobs listed, a job and its errors read back.

A job is read by the account that started it, or by an importer whose agencies
cover all of the job's; anyone else finds no such job (a 403 would tell which
ids exist). A job's kind is `lecturers` or `engagements` (its `source`); the
database its rows come from is the job's `record_source`, so that a worker
builds the import from the job row alone."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES, Conflict, NotFound
from services.common.ids import Id
from services.common.importing.http import (
    ASYNC_IMPORT_BODY,
    ASYNC_IMPORT_RESPONSES,
    ERRORS_CSV_RESPONSES,
    IDEMPOTENCY_KEY_PATTERN,
    ImportFormat,
    ImportStart,
    ImportStatus,
    errors_csv,
    format_of,
    fresh_job_out,
    job_list,
    job_out,
    queue_or_run_import,
)
from services.common.importing.jobs_store import readable_by
from services.common.importing.queue import PortableImport, portable_import
from services.common.importing.runner import ImportKind, Opened
from services.common.importing.schemas import ImportJobOut, ImportJobSummary
from services.common.pagination import Page, PageDep
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


# The kernel's 202, its Location resolved against these routes' own paths.
_ACCEPTED = ASYNC_IMPORT_RESPONSES[202]
IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ImportJobOut, "description": "The job with this idempotency key, resumed"},
    202: {
        **_ACCEPTED,
        "headers": {
            **_ACCEPTED["headers"],
            "Location": {
                "description": "The job, relative to the request's URL (`{id}`: `…/imports/{id}`)",
                "schema": {"type": "string"},
            },
        },
    },
    409: _problem(
        "The idempotency key is in use (also with another source), or the file differs on resume"
    ),
    415: _problem("A media type or charset the import does not read"),
}
LECTURERS = "lecturers"
ENGAGEMENTS = "engagements"
KINDS: dict[str, type[LecturerImport] | type[EngagementImport]] = {
    LECTURERS: LecturerImport,
    ENGAGEMENTS: EngagementImport,
}


def _batch_size(kind: str) -> int:
    # Read when used: a test makes the batches small.
    return lecturer_import.BATCH_SIZE if kind == LECTURERS else engagement_import.BATCH_SIZE


def _kind_of(job: ImportJob, _settings: Any = None) -> ImportKind[Any]:
    """A job's import, from the job row alone: any speakers worker runs it."""
    if job.record_source is None:
        raise Conflict("this import's source is not known: re-post it with its source")
    kind = KINDS[job.source]
    return kind(source=job.record_source, actor=job.created_by, dry_run=job.dry_run)


for _name, _kind in KINDS.items():
    portable_import(
        "speakers",
        _name,
        PortableImport(
            TABLES,
            _kind_of,
            tuple(_kind.required),
            None if _kind.known is None else tuple(_kind.known),
            _batch_size(_name),
        ),
    )


def _check_source(engine: Engine, kind: str, key: str | None, source: str) -> None:
    """An idempotency key names one job of a kind: re-posted with another
    source, it is refused rather than resuming that job's rows."""
    if key is None:
        return
    with Session(engine) as session:
        job = TABLES.by_key(session, kind, key)
    if job is not None and job.record_source not in (None, source):
        raise Conflict("this idempotency key was used with another source")


def _located(answer: Response) -> Response:
    """The kernel's 202 says `imports/{id}`, right for a POST to `…/import`;
    these POSTs are `…/imports/lecturers`, beside which the job is `{id}`."""
    job_id = json.loads(bytes(answer.body))["id"]
    answer.headers["location"] = str(job_id)
    return answer


async def _start(
    request: Request,
    response: Response,
    who: Principal,
    kind_name: str,
    source: str,
    start: tuple[ImportFormat | None, bool, str | None],
) -> ImportJobOut | Response:
    explicit, dry_run, key = start
    engine: Engine = request.app.state.engine
    await run_in_threadpool(_check_source, engine, kind_name, key, source)
    fmt = format_of(request.headers.get("content-type"), explicit)
    job_start = ImportStart(
        kind_name,
        fmt,
        dry_run,
        key,
        who.sub,
        frozenset(who.agency_scope),
        {"record_source": source},
    )
    kind = KINDS[kind_name]
    outcome = await queue_or_run_import(
        request,
        TABLES,
        job_start,
        _kind_of,
        required=tuple(kind.required),
        known=None if kind.known is None else tuple(kind.known),
        batch_size=_batch_size(kind_name),
    )
    if isinstance(outcome, Response):
        return _located(outcome)  # 202: a worker runs the job
    job, opened = outcome
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
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def import_lecturers(
    request: Request,
    response: Response,
    who: Importer,
    source: SourceQuery,
    format: FormatQuery = None,
    dry_run: DryRunQuery = False,
    idempotency_key: KeyHeader = None,
) -> ImportJobOut | Response:
    return await _start(
        request, response, who, LECTURERS, source, (format, dry_run, idempotency_key)
    )


@router.post(
    "/engagements",
    summary="Import engagement records (CSV or JSON lines), idempotent by what each records",
    response_model=ImportJobOut,
    status_code=201,
    responses=IMPORT_RESPONSES,
    description=ENGAGEMENT_IMPORT_DESCRIPTION,
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def import_engagements(
    request: Request,
    response: Response,
    who: Importer,
    source: SourceQuery,
    format: FormatQuery = None,
    dry_run: DryRunQuery = False,
    idempotency_key: KeyHeader = None,
) -> ImportJobOut | Response:
    return await _start(
        request, response, who, ENGAGEMENTS, source, (format, dry_run, idempotency_key)
    )


def _read_job(session: Session, who: Principal, job_id: int) -> ImportJob:
    job = TABLES.get(session, job_id)
    if job is None or not readable_by(job, who.sub, who.agency_scope):
        raise NotFound("no such import")
    return job


@router.get(
    "",
    summary="Lecturer and engagement imports the caller may read (queued, running, finished)",
    response_model=Page[ImportJobSummary],
)
def list_imports(
    session: SessionDep,
    who: Importer,
    page: PageDep,
    status: ImportStatus | None = None,
    kind: Annotated[
        Literal["lecturers", "engagements"] | None, Query(description="Only jobs of this import")
    ] = None,
) -> Page[ImportJobSummary]:
    """Newest first: the caller's own jobs and those of the agencies it covers,
    each with its progress."""
    sources = (kind,) if kind is not None else tuple(KINDS)
    return job_list(session, TABLES, who, page, sources=sources, status=status)


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
