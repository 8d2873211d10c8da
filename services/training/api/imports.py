"""Bulk import of learning records, streamed from the request body."""

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES, Invalid, NotFound, Problem
from services.common.ids import Id
from services.common.principal import Principal
from services.common.timeutil import today_taipei
from services.training.access import (
    Importer,
    check_import_source,
    import_scope,
    may_read_import,
)
from services.training.clients import Peers, peer_clients
from services.training.imports import runner as import_runner
from services.training.imports.batch import JobContext
from services.training.imports.lines import RawLine, line_blocks
from services.training.imports.rows import CsvRows
from services.training.imports.runner import ImportRunner, JobRequest, Opened, open_job
from services.training.models import ImportJob
from services.training.schemas.common import Source
from services.training.schemas.imports import ImportJobOut, RowErrorOut
from services.training.store import catalogue
from services.training.store import imports as jobs

router = APIRouter(prefix="/imports", tags=["imports"])
PeersDep = Annotated[Peers, Depends(peer_clients)]
SHOWN_ERRORS = 100
# Declared charsets → Python codecs. Big5 files from Windows are in fact cp950,
# its superset; decoding them as strict Big5 would refuse common characters.
CHARSETS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "big5": "cp950",
    "cp950": "cp950",
    "big5-hkscs": "big5hkscs",
}


def _problem(status: int, description: str) -> dict[str, Any]:
    return {**PROBLEM_RESPONSES[500], "description": description}


def job_out(session: Session, job: ImportJob) -> ImportJobOut:
    assert job.id is not None
    errors = jobs.first_errors(session, job.id, SHOWN_ERRORS + 1)
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
    )


def _encoding(content_type: str | None) -> str:
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset not in CHARSETS:
        raise Problem(
            f"charset {charset!r} is not accepted; send UTF-8 or Big5",
            status=415,
            slug="unsupported-media-type",
            title="Unsupported media type",
        )
    return CHARSETS[charset]


def _header(first: RawLine | None, encoding: str) -> CsvRows:
    if first is None:
        raise Invalid("the file is empty")
    try:
        return CsvRows(first.data.decode(encoding))
    except UnicodeDecodeError:
        raise Invalid(f"the header line is not valid {encoding} text") from None
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def _read_job(session: Session, who: Principal, job_id: int) -> ImportJob:
    job = jobs.get(session, job_id)
    # A job the caller may not read is as missing as one that never was: a 403
    # would tell another agency's importer which job ids exist.
    if job is None or not may_read_import(who, job.source, job.created_by, job.agency_scope):
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
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
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
        Header(pattern=r"^[A-Za-z0-9._:-]{8,128}$", description="Re-post with it to resume"),
    ] = None,
) -> ImportJobOut:
    check_import_source(who, source)
    engine = request.app.state.engine
    encoding = _encoding(request.headers.get("content-type"))
    blocks = line_blocks(request.stream())
    header: RawLine | None = None
    csv_rows: CsvRows | None = None
    first: list[RawLine] = []
    if file_format == "csv":
        first = await anext(blocks, [])
        header, first = (first[0], first[1:]) if first else (None, [])
        csv_rows = _header(header, encoding)
    scope = import_scope(who)
    req = JobRequest(source, file_format, encoding, dry_run, idempotency_key, who.sub, scope)
    job, opened = await run_in_threadpool(open_job, engine, req, import_runner.LEASE_SECONDS)
    assert job.id is not None
    if opened is not Opened.CREATED:
        response.status_code = 200
    if opened is not Opened.DONE:
        categories = await run_in_threadpool(_categories, engine)
        ctx = JobContext(
            job_id=job.id,
            source=source,
            actor=who.sub,
            scope=scope,
            dry_run=dry_run,
            categories=categories,
            directory=peers.directory,
        )
        runner = ImportRunner(
            engine,
            job,
            ctx,
            csv_rows=csv_rows,
            header=header,
            batch_size=import_runner.BATCH_SIZE,
            today=today_taipei(),
        )
        await _run(runner, first, blocks)
    return await run_in_threadpool(_job_out_fresh, engine, job.id)


async def _run(
    runner: ImportRunner, first: list[RawLine], blocks: AsyncIterator[list[RawLine]]
) -> None:
    """Read, parse and write the batches, one batch being written while the next is
    read and parsed: the database's work on one overlaps Python's on the other.
    Writes stay one at a time and in order, so the job's progress is always a
    prefix of the file."""
    writing: asyncio.Future[None] | None = None
    try:
        runner.feed(first)
        while True:
            while runner.ready():
                parsed = await run_in_threadpool(runner.parse, runner.take())
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(run_in_threadpool(runner.write, parsed))
            block = await anext(blocks, None)
            if block is None:
                break
            runner.feed(block)
        last = await run_in_threadpool(runner.parse, runner.take_last())
        if writing is not None:
            await writing
            writing = None
        await run_in_threadpool(runner.write, last)
        await run_in_threadpool(runner.complete)
    except BaseException:
        if writing is not None:
            # Let a write in flight end before the job is marked interrupted; its
            # own failure, if any, is the one already being raised or a consequence.
            await asyncio.wait([writing])
            if not writing.cancelled():
                writing.exception()
        await run_in_threadpool(runner.interrupt)
        raise
    await run_in_threadpool(runner.maintain)


def _categories(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return catalogue.category_codes(session)


def _job_out_fresh(engine: Engine, job_id: int) -> ImportJobOut:
    with Session(engine) as session:
        job = jobs.get(session, job_id)
        assert job is not None
        return job_out(session, job)


@router.get("/{job_id}", summary="An import job: status and counts", response_model=ImportJobOut)
def get_import(job_id: Id, session: SessionDep, who: Importer) -> ImportJobOut:
    return job_out(session, _read_job(session, who, job_id))


@router.get(
    "/{job_id}/errors.csv",
    summary="Every row error of an import, as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def get_import_errors(job_id: Id, session: SessionDep, who: Importer) -> StreamingResponse:
    job = _read_job(session, who, job_id)
    assert job.id is not None
    rows = list(jobs.iter_errors(session, job.id))

    def body() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        # BOM: Excel, which personnel offices open CSV in, then reads UTF-8 correctly.
        writer.writerow(["row", "field", "reason", "code"])
        yield "\ufeff" + out.getvalue()
        for start in range(0, len(rows), 500):
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerows((e.row, e.field, e.reason, e.code) for e in rows[start : start + 500])
            yield out.getvalue()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'},
    )
