"""What every import route does with its request: the charset and format, the CSV
header, the job opened or resumed, the batches run; and the job and its error
CSV as answers."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.errors import FieldError, Invalid, Problem
from services.common.importing import runner as runner_module
from services.common.importing.charsets import codec_for
from services.common.importing.jobs_store import JobTables
from services.common.importing.lines import RawLine, line_blocks
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.importing.progress import (
    CountedBytes,
    declared_size,
    note_size,
    progress_of,
    summary_of,
)
from services.common.importing.queue import (
    PREFER_ASYNC,
    HeldImport,
    check_spooled_header,
    existing_job,
    import_queue,
    open_queued_job,
    portable_for,
    prefers_async,
    should_queue,
)
from services.common.importing.rows import CsvRows, HeaderError
from services.common.importing.runner import (
    LEASE_SECONDS,
    ImportKind,
    ImportRunner,
    JobRequest,
    Opened,
    open_job,
)
from services.common.importing.schemas import ImportJobOut, ImportJobSummary, RowErrorOut
from services.common.pagination import Page, PageParams
from services.common.principal import Principal

ImportFormat = Literal["csv", "jsonl"]
R = TypeVar("R")
J = TypeVar("J", bound=StoredImportJob)
E = TypeVar("E", bound=StoredImportError)
SHOWN_ERRORS = 100
# Rows per transaction unless an import says otherwise.
BATCH_SIZE = 1000


def lease_seconds(request: Request) -> float:
    """The service's import lease (`<SVC>_IMPORT_LEASE_SECONDS`): after it, a job
    still `running` counts as left by a process that died."""
    settings = getattr(request.app.state, "settings", None)
    lease = getattr(settings, "import_lease_seconds", None)
    return float(lease) if lease else LEASE_SECONDS


IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The file, streamed: CSV with a header line, or JSON Lines (one object per "
            "line). UTF-8 with or without BOM; declare `charset=big5` for Big5. Its "
            "columns are in the operation's description."
        ),
        # Binary: the bytes go as they are (a generator's client sends a file).
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{8,128}$"
# What an import route that may answer 202 adds to its operation
# (`queue_or_run_import`): the Prefer header, and the 202 with its headers.
ASYNC_IMPORT_BODY: dict[str, Any] = {
    **IMPORT_BODY,
    "parameters": [
        {
            "name": "Prefer",
            "in": "header",
            "required": False,
            "description": (
                "`respond-async`: answer 202 Accepted at once and run the import as a "
                "job (a body above the service's `IMPORT_ASYNC_BYTES` always is)"
            ),
            "schema": {"type": "string", "examples": ["respond-async"]},
        }
    ],
}
ASYNC_IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "model": ImportJobSummary,
        "description": (
            "Accepted: the body is spooled and the import runs as a job; follow it at "
            "`Location` (a re-post with the same Idempotency-Key answers the same job)"
        ),
        "headers": {
            "Location": {
                "description": "The job, relative to the request's URL (`imports/{id}`)",
                "schema": {"type": "string"},
            },
            "Preference-Applied": {
                "description": "`respond-async` when the request asked for it",
                "schema": {"type": "string"},
            },
        },
    }
}
ImportStatus = Literal["queued", "running", "completed", "interrupted", "failed"]


def format_of(content_type: str | None, explicit: ImportFormat | None) -> ImportFormat:
    """`?format=` when given, else the media type; CSV when neither says."""
    if explicit is not None:
        return explicit
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        return "jsonl"
    if kind in ("", "text/csv", "application/csv", "text/plain", "application/octet-stream"):
        return "csv"
    raise Problem(
        f"media type {kind!r} is not an import format: send text/csv or application/x-ndjson",
        status=415,
        slug="unsupported-media-type",
        title="Unsupported media type",
    )


def _header_problem(reason: str) -> Invalid:
    return Invalid(reason, errors=[FieldError(field="body", reason=reason, code="header")])


def _csv_header(first: RawLine | None, encoding: str, kind_columns: tuple[Any, Any]) -> CsvRows:
    if first is None or not first.data.strip():
        raise _header_problem("the file is empty: a CSV import starts with its header line")
    if first.too_long:
        raise _header_problem("the header line is longer than 64 KiB")
    try:
        return CsvRows(first.data.decode(encoding), *kind_columns)
    except UnicodeDecodeError:
        raise _header_problem(f"the header line is not valid {encoding} text") from None
    except HeaderError as exc:
        raise _header_problem(str(exc)) from None


@dataclass(frozen=True)
class ImportStart:
    """One import request, as the route has read it."""

    source: str
    format: ImportFormat
    dry_run: bool
    key: str | None
    actor: str
    scope: frozenset[str]
    # Values of the service's own job columns, set when the job is created (what
    # a portable import's kind is built from, besides the kernel's columns).
    columns: Mapping[str, Any] = field(default_factory=dict)

    def request(self, encoding: str) -> JobRequest:
        return JobRequest(
            self.source,
            self.format,
            encoding,
            self.dry_run,
            self.key,
            self.actor,
            self.scope,
            self.columns,
        )


async def run_import(
    request: Request,
    tables: JobTables[J, E],
    start: ImportStart,
    make_kind: Callable[[J], ImportKind[R]],
    *,
    required: tuple[Any, ...] = (),
    known: tuple[str, ...] | None = None,
    batch_size: int = BATCH_SIZE,
) -> tuple[J, Opened]:
    """Open (or resume) the job and run the body through it. `make_kind` builds the
    import for the job, in a worker thread (it may read the database); `required`
    and `known` are the CSV header's columns (see `rows.CsvRows`)."""
    engine: Engine = request.app.state.engine
    encoding = codec_for(request.headers.get("content-type"))
    counted = CountedBytes()
    blocks = line_blocks(counted.through(request.stream()))
    header, csv_rows, first = await read_header(blocks, start.format, encoding, required, known)
    req = start.request(encoding)
    job, opened = await run_in_threadpool(open_job, engine, tables, req, lease_seconds(request))
    if opened in (Opened.CREATED, Opened.RESUMED):
        await run_in_threadpool(note_size, engine, tables, job, declared_size(request))
        kind = await run_in_threadpool(make_kind, job)
        job_runner = ImportRunner(
            engine,
            tables,
            job,
            kind,
            csv_rows=csv_rows,
            header=header,
            batch_size=batch_size,
            bytes_read=counted.total,
        )
        await runner_module.run(job_runner, first, blocks)
    return job, opened


async def read_header(
    blocks: AsyncIterator[list[RawLine]],
    file_format: str,
    encoding: str,
    required: tuple[Any, ...],
    known: tuple[str, ...] | None,
) -> tuple[RawLine | None, CsvRows | None, list[RawLine]]:
    """A CSV file's header line read and checked (422 when it is wrong), and the
    lines that came with it; JSON Lines have no header."""
    if file_format != "csv":
        return None, None, []
    first: list[RawLine] = await anext(blocks, [])
    # Blank lines before the header are skipped, as a spreadsheet would.
    while first and not first[0].data.strip() and not first[0].too_long:
        first = first[1:] or await anext(blocks, [])
    header, first = (first[0], first[1:]) if first else (None, [])
    return header, _csv_header(header, encoding, (required, known)), first


async def queue_or_run_import(
    request: Request,
    tables: JobTables[J, E],
    start: ImportStart,
    make_kind: Callable[[J], ImportKind[R]],
    *,
    required: tuple[Any, ...] = (),
    known: tuple[str, ...] | None = None,
    batch_size: int = BATCH_SIZE,
) -> tuple[J, Opened] | Response:
    """`run_import`, or `202 Accepted` with the job when the request asks for it
    (`Prefer: respond-async`) or declares a body above the service's threshold,
    or when its idempotency key names a job a worker runs. A route opts in by
    calling this instead of `run_import` and returning a Response as it is."""
    engine: Engine = request.app.state.engine
    encoding = codec_for(request.headers.get("content-type"))
    req = start.request(encoding)
    named = await run_in_threadpool(existing_job, engine, tables, req)
    if named is not None and named.spooled:
        return accepted(request, named)
    if not should_queue(request):
        job, opened = await run_import(
            request, tables, start, make_kind, required=required, known=known, batch_size=batch_size
        )
        return accepted(request, job) if opened is Opened.QUEUED else (job, opened)
    if named is not None:
        return accepted(request, named)  # completed in its request: the same job
    queue = import_queue(request.app)
    part, size = await queue.spool(request.stream())
    try:
        if start.format == "csv":
            await check_spooled_header(part, encoding, required, known)
        job, opened = await run_in_threadpool(
            open_queued_job, engine, tables, req, size, lease_seconds(request)
        )
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    assert job.id is not None
    if opened in (Opened.CREATED, Opened.RESUMED):
        part.replace(queue.spool_path(tables, job.id))
        # A portable import's job is built from its row here too, as by any
        # other worker: what a replica would run is what this one runs.
        portable = portable_for(queue.service, tables, start.source)
        held = (
            portable.held(queue.settings)
            if portable is not None
            else HeldImport(tables, make_kind, required, known, batch_size)
        )
        queue.hold(held, job.id)
    else:
        part.unlink(missing_ok=True)  # another request's job with this key: answer it
    return accepted(request, job)


def accepted(request: Request, job: StoredImportJob) -> JSONResponse:
    """202 with the job and where to follow it."""
    headers = {"Location": f"imports/{job.id}"}
    if prefers_async(request):
        headers["Preference-Applied"] = PREFER_ASYNC
    body = summary_of(job).model_dump(mode="json")
    return JSONResponse(body, status_code=202, headers=headers)


def job_list(
    session: Session,
    tables: JobTables[J, E],
    who: Principal,
    page: PageParams,
    *,
    sources: tuple[str, ...],
    status: str | None,
) -> Page[ImportJobSummary]:
    """The jobs of `sources` the caller may read, newest first."""
    jobs, nxt = tables.readable_page(session, sources, status, who.sub, who.agency_scope, page)
    return Page[ImportJobSummary](
        items=[summary_of(j) for j in jobs], next_cursor=nxt, limit=page.limit
    )


def job_out(session: Session, tables: JobTables[J, E], job: J) -> ImportJobOut:
    assert job.id is not None
    errors = tables.first_errors(session, job.id, SHOWN_ERRORS + 1)
    return ImportJobOut(
        id=job.id,
        source=job.source,
        format=job.format,
        encoding=job.encoding,
        dry_run=job.dry_run,
        status=job.status,
        idempotency_key=job.idempotency_key,
        created_by=job.created_by,
        created_at=job.created_at,
        finished_at=job.finished_at,
        rows_read=job.rows_read,
        committed_row=job.committed_row,
        inserted=job.inserted,
        updated=job.updated,
        unchanged=job.unchanged,
        failed=job.failed,
        errors=[
            RowErrorOut(row=e.row, field=e.field, reason=e.reason, code=e.code)
            for e in errors[:SHOWN_ERRORS]
        ],
        errors_truncated=len(errors) > SHOWN_ERRORS,
        failure=job.failure,
        progress=progress_of(job),
    )


def fresh_job_out(engine: Engine, tables: JobTables[J, E], job_id: int) -> ImportJobOut:
    """The job as it stands now, read in a session of its own (after a run)."""
    with Session(engine) as session:
        job = tables.get(session, job_id)
        assert job is not None
        return job_out(session, tables, job)


ERRORS_CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def errors_csv(session: Session, tables: JobTables[J, E], job: J) -> StreamingResponse:
    """Every row error of a job as CSV (row, field, reason, code)."""
    assert job.id is not None
    # Read before answering: the request's session is closed once the route returns.
    rows = [(e.row, e.field, e.reason, e.code) for e in tables.iter_errors(session, job.id)]

    def body() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        # BOM: Excel, which personnel offices open CSV in, then reads UTF-8 correctly.
        writer.writerow(["row", "field", "reason", "code"])
        yield "\ufeff" + out.getvalue()
        for start in range(0, len(rows), 500):
            out = io.StringIO()
            csv.writer(out).writerows(rows[start : start + 500])
            yield out.getvalue()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'},
    )
