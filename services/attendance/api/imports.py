"""What the three import routes share, on the kernel's import pipeline: the
request read into a job and run, the answer (`ImportResult`, the POST's shape
kept, with the job's id and status), and the job read back with its errors.

A job is read by the account that started it, or by an importer whose agencies
cover all of the job's; anyone else finds no such job (a 403 would tell which
ids exist), and neither does a read under another import's path."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.attendance.models import ImportJob
from services.attendance.schemas import ImportResult, ImportRowError, ImportRowWarning
from services.attendance.store import imports
from services.attendance.store.imports import TABLES
from services.common.db import SessionDep
from services.common.errors import Conflict, NotFound
from services.common.ids import Id
from services.common.importing.http import (
    ASYNC_IMPORT_BODY as ASYNC_IMPORT_BODY,
)
from services.common.importing.http import (
    ASYNC_IMPORT_RESPONSES as ASYNC_IMPORT_RESPONSES,
)
from services.common.importing.http import (
    ERRORS_CSV_RESPONSES,
    ImportFormat,
    ImportStart,
    ImportStatus,
    errors_csv,
    format_of,
    job_list,
    queue_or_run_import,
)
from services.common.importing.jobs_store import readable_by
from services.common.importing.progress import progress_of
from services.common.importing.queue import PortableImport, portable_import
from services.common.importing.runner import ImportKind
from services.common.importing.schemas import ImportJobSummary
from services.common.pagination import Page, PageDep, PageParams
from services.common.principal import Principal
from services.common.transactions import batch_transaction

# Row errors an answer lists; every one is in the job's errors.csv.
MAX_REPORTED_ERRORS = 1000


def result(session: Session, job: ImportJob) -> ImportResult:
    assert job.id is not None
    errors = TABLES.first_errors(session, job.id, MAX_REPORTED_ERRORS)
    return ImportResult(
        job_id=job.id,
        status=job.status,
        rows=job.rows_read,
        created=job.inserted,
        updated=job.updated,
        unchanged=job.unchanged,
        failed=job.failed,
        dry_run=job.dry_run,
        errors=[
            ImportRowError(row=e.row, field=e.field, reason=e.reason, code=e.code) for e in errors
        ],
        warnings=[ImportRowWarning.model_validate(w) for w in job.warnings],
        failure=job.failure,
        progress=progress_of(job),
    )


def _fresh_result(engine: Engine, job_id: int) -> ImportResult:
    with Session(engine) as session:
        job = TABLES.get(session, job_id)
        assert job is not None
        return result(session, job)


def _check_record_source(engine: Engine, source: str, key: str, record_source: str) -> None:
    with Session(engine) as session:
        job = TABLES.by_key(session, source, key)
    if job is not None and job.record_source not in (None, record_source):
        raise Conflict("this idempotency key was used with another source")


def _file_record_source(engine: Engine, job: ImportJob, record_source: str) -> None:
    assert job.id is not None
    if job.record_source is None:
        with batch_transaction(engine) as session:
            imports.set_record_source(session, job.id, record_source)


async def start_import(
    request: Request,
    principal: Principal,
    *,
    source: str,
    explicit_format: ImportFormat | None,
    dry_run: bool,
    key: str | None,
    make_kind: Callable[[ImportJob], ImportKind[Any]],
    required: tuple[Any, ...] = (),
    batch_size: int,
    record_source: str | None = None,
) -> ImportResult | Response:
    """Open (or resume) the job of `source`, run the body through it, answer it;
    or answer 202 with the job, which a worker runs (`queue_or_run_import`)."""
    engine: Engine = request.app.state.engine
    fmt = format_of(request.headers.get("content-type"), explicit_format)
    if key is not None and record_source is not None:
        await run_in_threadpool(_check_record_source, engine, source, key, record_source)

    def kind_for(job: ImportJob) -> ImportKind[Any]:
        if record_source is not None:
            _file_record_source(engine, job, record_source)
        return make_kind(job)

    # The record source goes on the job as it is created: a worker of another
    # replica builds the job's import from the row (`portable`).
    columns = {"record_source": record_source} if record_source is not None else {}
    scope = frozenset(principal.agency_scope)
    start = ImportStart(source, fmt, dry_run, key, principal.sub, scope, columns)
    outcome = await queue_or_run_import(
        request, TABLES, start, kind_for, required=required, batch_size=batch_size
    )
    if isinstance(outcome, Response):
        return outcome
    job, _ = outcome
    assert job.id is not None
    return await run_in_threadpool(_fresh_result, engine, job.id)


def read_job(session: Session, who: Principal, source: str, job_id: int) -> ImportJob:
    job = TABLES.get(session, job_id)
    if job is None or job.source != source or not readable_by(job, who.sub, who.agency_scope):
        raise NotFound("no such import")
    return job


def job_errors(session: Session, who: Principal, source: str, job_id: int) -> StreamingResponse:
    return errors_csv(session, TABLES, read_job(session, who, source, job_id))


def job_page(
    session: Session, who: Principal, source: str, page: PageParams, status: str | None
) -> Page[ImportJobSummary]:
    """The jobs of `source` the caller may read, newest first."""
    return job_list(session, TABLES, who, page, sources=(source,), status=status)


def portable(source: str, build: Callable[[ImportJob], ImportKind[Any]], batch_size: int) -> None:
    """Let any attendance worker run `source`'s queued jobs, its import built by
    `build` from the job row alone."""
    entry: PortableImport[Any, ImportJob, Any] = PortableImport(
        TABLES, lambda job, _settings: build(job), batch_size=batch_size
    )
    portable_import("attendance", source, entry)


def record_source_of(job: ImportJob) -> str:
    if job.record_source is None:
        raise Conflict("this import's record source is not known: re-post it with its source")
    return job.record_source


def add_job_routes(
    router: APIRouter,
    *,
    path: str,
    source: str,
    reader: Any,
    name: str,
    noun: str,
    one_summary: str,
) -> None:
    """Declare the three reads of `source`'s jobs under `path` (`…/imports`): the
    list, one job, and its errors as CSV, for callers that `reader` (the import
    route's principal dependency) admits. `name` makes the operation ids
    (`list_<name>_imports`, `get_<name>_import`, `get_<name>_import_errors`),
    which generated clients keep; `noun` and `one_summary` word the summaries."""

    def list_imports(
        session: SessionDep,
        principal: reader,
        page: PageDep,
        status: ImportStatus | None = None,
    ) -> Page[ImportJobSummary]:
        return job_page(session, principal, source, page, status)

    def get_import(job_id: Id, session: SessionDep, principal: reader) -> ImportResult:
        return result(session, read_job(session, principal, source, job_id))

    def get_import_errors(job_id: Id, session: SessionDep, principal: reader) -> StreamingResponse:
        return job_errors(session, principal, source, job_id)

    article = "An" if noun[0].lower() in "aeiou" else "A"
    router.add_api_route(
        path,
        list_imports,
        methods=["GET"],
        name=f"list_{name}_imports",
        summary=f"{noun.capitalize()} imports the caller may read (queued, running, finished)",
        response_model=Page[ImportJobSummary],
    )
    router.add_api_route(
        f"{path}/{{job_id}}",
        get_import,
        methods=["GET"],
        name=f"get_{name}_import",
        summary=f"{article} {noun} import: {one_summary}",
        response_model=ImportResult,
    )
    router.add_api_route(
        f"{path}/{{job_id}}/errors.csv",
        get_import_errors,
        methods=["GET"],
        name=f"get_{name}_import_errors",
        summary=f"Every row error of {article.lower()} {noun} import, as CSV",
        response_class=StreamingResponse,
        responses=ERRORS_CSV_RESPONSES,
    )
