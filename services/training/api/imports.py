"""Bulk import of learning records, streamed from the request body through the
kernel's import pipeline (`services.common.importing`).

In its request, the import reaches the directory on the importer's behalf (its
token exchanged at the gateway). Queued (202), it is *portable*: built from the
job row alone (platform, importer, agencies, dry run) and the settings, by any
training worker, which reaches the directory as training's own account for
that importer and within those agencies (`clients.ImportDirectoryClient`)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES, NotFound
from services.common.ids import Id
from services.common.importing.http import (
    ASYNC_IMPORT_BODY,
    ASYNC_IMPORT_RESPONSES,
    ERRORS_CSV_RESPONSES,
    IDEMPOTENCY_KEY_PATTERN,
    ImportStart,
    ImportStatus,
    errors_csv,
    fresh_job_out,
    job_list,
    job_out,
    queue_or_run_import,
)
from services.common.importing.queue import ANY_SOURCE, PortableImport, portable_import
from services.common.importing.runner import Opened
from services.common.importing.schemas import ImportJobSummary
from services.common.pagination import Page, PageDep
from services.common.principal import Principal
from services.common.timeutil import today_taipei
from services.training.access import (
    Importer,
    check_import_source,
    import_scope,
    import_sources,
    may_read_import,
)
from services.training.api.import_columns import RECORD_IMPORT_DESCRIPTION
from services.training.clients import Peers, import_directory, peer_clients
from services.training.models import ImportJob
from services.training.schemas.common import Source
from services.training.schemas.imports import ImportJobOut
from services.training.service import record_import
from services.training.service.record_import import JobContext, RecordImport
from services.training.settings import TrainingSettings
from services.training.store import catalogue
from services.training.store.imports import TABLES

router = APIRouter(prefix="/imports", tags=["imports"])
PeersDep = Annotated[Peers, Depends(peer_clients)]


def _queued_kind(job: ImportJob, settings: TrainingSettings) -> RecordImport:
    """A queued job's import, from its row alone: any training worker runs it."""
    assert job.id is not None
    job_id = job.id
    importer, agencies = job.created_by, tuple(job.agency_scope)
    ctx = JobContext(
        job_id=job_id,
        source=job.source,
        actor=importer,
        scope=frozenset(agencies),
        dry_run=job.dry_run,
        categories=None,  # read with the first batch, in its transaction
        directory=lambda: import_directory(
            settings, importer=importer, job_id=job_id, agencies=agencies
        ),
    )
    return RecordImport(ctx, today_taipei())


# Every job of training's import table is a learning-record import, whatever its
# platform (`source`).
portable_import(
    "training",
    ANY_SOURCE,
    PortableImport(TABLES, _queued_kind, RecordImport.required, None, record_import.BATCH_SIZE),
)


def _problem(status: int, description: str) -> dict[str, Any]:
    return {**PROBLEM_RESPONSES[500], "description": description}


def _read_job(session: Session, who: Principal, job_id: int) -> ImportJob:
    job = TABLES.get(session, job_id)
    # A job the caller may not read is as missing as one that never was: a 403
    # would tell another agency's importer which job ids exist.
    if job is None or not may_read_import(who, job):
        raise NotFound("no such import")
    return job


@router.post(
    "",
    summary="Import learning records (CSV or JSON lines, streamed)",
    response_model=ImportJobOut,
    status_code=201,
    responses={
        200: {"model": ImportJobOut, "description": "The job with this idempotency key, resumed"},
        409: _problem(409, "The idempotency key is in use, or the file differs on resume"),
        415: _problem(415, "A charset other than UTF-8 or Big5"),
        503: _problem(503, "The directory was needed to match a person and is unavailable"),
        **ASYNC_IMPORT_RESPONSES,
    },
    description=RECORD_IMPORT_DESCRIPTION,
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def create_import(
    request: Request,
    response: Response,
    who: Importer,
    peers: PeersDep,
    source: Annotated[Source, Query(description="The e-learning platform the file comes from")],
    file_format: Annotated[Literal["csv", "jsonl"], Query(alias="format")] = "csv",
    dry_run: bool = False,
    idempotency_key: Annotated[
        str | None,
        Header(pattern=IDEMPOTENCY_KEY_PATTERN, description="Re-post with it to resume"),
    ] = None,
) -> ImportJobOut | Response:
    check_import_source(who, source)
    engine: Engine = request.app.state.engine
    scope = import_scope(who)
    today = today_taipei()

    def make_kind(job: ImportJob) -> RecordImport:
        assert job.id is not None
        with Session(engine) as session:
            categories = catalogue.category_codes(session)
        ctx = JobContext(
            job_id=job.id,
            source=source,
            actor=who.sub,
            scope=scope,
            dry_run=dry_run,
            categories=categories,
            directory=peers.directory,
            engine=engine,
        )
        return RecordImport(ctx, today)

    start = ImportStart(source, file_format, dry_run, idempotency_key, who.sub, scope)
    outcome = await queue_or_run_import(
        request,
        TABLES,
        start,
        make_kind,
        required=RecordImport.required,
        known=RecordImport.known,
        batch_size=record_import.BATCH_SIZE,
    )
    if isinstance(outcome, Response):
        return outcome  # 202: a worker runs the job
    job, opened = outcome
    assert job.id is not None
    if opened is not Opened.CREATED:
        response.status_code = 200
    return await run_in_threadpool(fresh_job_out, engine, TABLES, job.id)


@router.get(
    "",
    summary="Import jobs the caller may read (queued, running, finished), newest first",
    response_model=Page[ImportJobSummary],
)
def list_imports(
    session: SessionDep,
    who: Importer,
    page: PageDep,
    status: ImportStatus | None = None,
) -> Page[ImportJobSummary]:
    sources = import_sources(who)
    return job_list(session, TABLES, who, page, sources=sources, status=status)


@router.get(
    "/{job_id}",
    summary="An import job: status, counts and progress",
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
