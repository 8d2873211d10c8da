"""What every import route does with its request: the charset and format, the CSV
header, the job opened or resumed, the batches run; and the job and its error
CSV as answers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.errors import FieldError, Invalid, Problem
from services.common.importing import runner as runner_module
from services.common.importing.charsets import codec_for
from services.common.importing.jobs_store import JobTables
from services.common.importing.lines import RawLine, line_blocks
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.importing.rows import CsvRows, HeaderError
from services.common.importing.runner import (
    ImportKind,
    ImportRunner,
    JobRequest,
    Opened,
    open_job,
)
from services.common.importing.schemas import ImportJobOut, RowErrorOut

ImportFormat = Literal["csv", "jsonl"]
R = TypeVar("R")
J = TypeVar("J", bound=StoredImportJob)
E = TypeVar("E", bound=StoredImportError)
SHOWN_ERRORS = 100
# Rows per transaction unless an import says otherwise.
BATCH_SIZE = 1000

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
    blocks = line_blocks(request.stream())
    header: RawLine | None = None
    csv_rows: CsvRows | None = None
    first: list[RawLine] = []
    if start.format == "csv":
        first = await anext(blocks, [])
        # Blank lines before the header are skipped, as a spreadsheet would.
        while first and not first[0].data.strip() and not first[0].too_long:
            first = first[1:] or await anext(blocks, [])
        header, first = (first[0], first[1:]) if first else (None, [])
        csv_rows = _csv_header(header, encoding, (required, known))
    req = JobRequest(
        start.source, start.format, encoding, start.dry_run, start.key, start.actor, start.scope
    )
    job, opened = await run_in_threadpool(open_job, engine, tables, req)
    if opened is not Opened.DONE:
        kind = await run_in_threadpool(make_kind, job)
        job_runner = ImportRunner(
            engine,
            tables,
            job,
            kind,
            csv_rows=csv_rows,
            header=header,
            batch_size=batch_size,
        )
        await runner_module.run(job_runner, first, blocks)
    return job, opened


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
