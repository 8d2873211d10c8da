"""How far an import has got: the body's bytes counted as they are read, its
declared size, and the progress an answer shows (bytes of the total, rows done
and failed, a percentage when the total is known)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import ROUND_DOWN, Decimal
from typing import TypeVar

from fastapi import Request
from sqlalchemy import update
from sqlalchemy.engine import Engine

from services.common.importing.jobs_store import JobTables
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.importing.schemas import ImportJobSummary, ImportProgress
from services.common.transactions import batch_transaction

J = TypeVar("J", bound=StoredImportJob)
E = TypeVar("E", bound=StoredImportError)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class CountedBytes:
    """Counts the bytes of a stream of chunks passed on as they come (`through`):
    `total()` is how much of the body the lines fed so far came from (at most a
    chunk ahead of them)."""

    def __init__(self) -> None:
        self._total = 0

    def total(self) -> int:
        return self._total

    async def through(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            self._total += len(chunk)
            yield chunk


def declared_size(request: Request) -> int | None:
    """Content-Length, when the request declares a usable one (a chunked body has none)."""
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def note_size(engine: Engine, tables: JobTables[J, E], job: J, size: int | None) -> None:
    """Keep the body's declared size with the job, for its percentage."""
    if size is None or job.id is None:
        return
    jobs = tables.jobs
    with batch_transaction(engine) as session:
        session.execute(update(jobs).where(jobs.c.id == job.id).values(bytes_total=size))
    job.bytes_total = size


def percent(done: int, total: int | None) -> Decimal | None:
    """Bytes read of the total, in percent rounded down to 0.01 (100 only once all
    is read); None when the total is not known. An empty body is all read."""
    if total is None:
        return None
    if total <= 0:
        return HUNDRED
    return (Decimal(min(done, total)) * HUNDRED / Decimal(total)).quantize(CENT, ROUND_DOWN)


def progress_of(job: StoredImportJob) -> ImportProgress:
    return ImportProgress(
        bytes_read=job.bytes_read,
        bytes_total=job.bytes_total,
        rows_done=job.rows_read,
        rows_failed=job.failed,
        percent=percent(job.bytes_read, job.bytes_total),
    )


def summary_of(job: StoredImportJob) -> ImportJobSummary:
    assert job.id is not None
    return ImportJobSummary(
        id=job.id,
        source=job.source,
        format=job.format,
        dry_run=job.dry_run,
        status=job.status,
        spooled=job.spooled,
        idempotency_key=job.idempotency_key,
        created_by=job.created_by,
        created_at=job.created_at,
        finished_at=job.finished_at,
        failure=job.failure,
        progress=progress_of(job),
    )
