"""Drive one import job: batches committed one by one, resumable after a crash.

Each batch commits its rows together with the job's progress (the last data row
committed and a digest of every line up to it), so after a crash the job says
exactly where the data stops. Re-posting the same file with the same
idempotency key skips the committed lines (checking that they are byte for
byte the same) and goes on; rows are idempotent by their external key anyway,
so nothing lands twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.errors import Conflict
from services.common.importing.jobs_store import JobTables
from services.common.importing.lines import MAX_LINE_BYTES, RawLine
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.importing.rows import CsvRows, Required, RowError, json_values
from services.common.timeutil import now_utc
from services.common.transactions import batch_transaction

log = logging.getLogger("renshi.imports")
R = TypeVar("R")
J = TypeVar("J", bound=StoredImportJob)
E = TypeVar("E", bound=StoredImportError)
# A running job whose last batch committed longer ago than this was left by a
# process that died; re-posting with the same idempotency key resumes it.
LEASE_SECONDS = 120


@dataclass
class BatchResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


class ImportKind(ABC, Generic[R]):
    """What one import supplies: its columns, its row check, how a batch is written.

    One instance serves one job, so it may keep what stays the same across the
    job's batches (the caller's scope, caches of what earlier batches read).
    """

    # CSV header: the columns a file must have (a tuple: one of them at least).
    required: Sequence[Required] = ()
    # Every column the import knows, or None to ignore columns it does not use.
    known: Sequence[str] | None = None
    # Open each batch's transaction for writing (BEGIN IMMEDIATE on SQLite): for
    # an import that reads rows and then writes them.
    write_lock: bool = False

    @abstractmethod
    def check(self, row: int, values: dict[str, str]) -> R | list[RowError]:
        """One row's values (column → text) checked: the row, or all its errors.
        Pure: runs while the previous batch is written."""

    def prepare(self, rows: list[R]) -> tuple[list[R], list[RowError]]:
        """Before the batch's transaction opens: what needs a peer (persons matched
        at the directory), so that no lock waits on a network call."""
        return rows, []

    @abstractmethod
    def apply_batch(self, session: Session, rows: list[R]) -> BatchResult:
        """Write a batch in the transaction given (a dry run writes nothing of the
        rows but counts as if it did); the caller commits it with the job's progress."""

    def after(self, written: int) -> None:
        """Once the job has completed: maintenance after `written` rows changed."""

    def close(self) -> None:
        """Once the job has ended, however: release what the kind holds (clients)."""


class LeaseLost(Exception):
    """A queued job's worker found the job taken over by another."""


class Opened(StrEnum):
    CREATED = "created"
    RESUMED = "resumed"
    DONE = "done"  # the same key already completed: nothing to do
    QUEUED = "queued"  # the same key's job is queued or running at a worker: answer 202


@dataclass(frozen=True)
class JobRequest:
    source: str
    format: str
    encoding: str
    dry_run: bool
    key: str | None
    actor: str
    scope: frozenset[str]  # the actor's agencies, kept with the job (who may read it)
    # Values of the service's own job columns, set when the job is created.
    columns: Mapping[str, Any] = field(default_factory=dict)


def check_same_request(job: StoredImportJob, req: JobRequest) -> None:
    """A re-post with a job's idempotency key must be the same account's, with the
    same parameters."""
    if job.created_by != req.actor:
        raise Conflict("this idempotency key belongs to another account's import")
    if (job.format, job.dry_run, job.encoding) != (req.format, req.dry_run, req.encoding):
        raise Conflict("this idempotency key was used with other parameters")


def open_job(
    engine: Engine, tables: JobTables[J, E], req: JobRequest, lease_seconds: float = LEASE_SECONDS
) -> tuple[J, Opened]:
    """A new job, or the interrupted one with the same idempotency key."""
    # BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL: two re-posts of one
    # key cannot both resume it.
    with batch_transaction(engine, write_lock=True) as session:
        job = tables.by_key(session, req.source, req.key, lock=True) if req.key else None
        if job is not None:
            check_same_request(job, req)
            if job.status == "completed":
                return job, Opened.DONE
            if job.spooled and job.status in ("queued", "running"):
                return job, Opened.QUEUED
            stale = now_utc() - job.heartbeat_at > timedelta(seconds=lease_seconds)
            if job.status == "running" and not stale:
                raise Conflict("this import is still running")
            job.status = "running"
            job.heartbeat_at = now_utc()
            session.add(job)
            return job, Opened.RESUMED
        job = tables.job(
            source=req.source,
            format=req.format,
            encoding=req.encoding,
            dry_run=req.dry_run,
            idempotency_key=req.key,
            status="running",
            created_by=req.actor,
            agency_scope=sorted(req.scope),
            **req.columns,
        )
        session.add(job)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict("an import with this idempotency key has just started") from None
        return job, Opened.CREATED


@dataclass(frozen=True)
class Batch:
    """Lines to commit together, and the job's progress once they are."""

    lines: list[RawLine]
    last_row: int
    digest: str  # of every line up to the one of `last_row`


@dataclass(frozen=True)
class ParsedBatch(Generic[R]):
    rows: list[R]
    errors: list[RowError]
    last_row: int
    digest: str


class ImportRunner(Generic[R, J, E]):
    """A job's lines in, batches out: `feed` lines, `take` a batch while `ready`,
    `parse` it (no database), `write` it (one transaction with the job's progress).

    Parsing touches nothing shared, so the caller may parse a batch while the
    previous one is still being written; writes must run one at a time, in order.
    Rows are numbered from 1 after the CSV header (JSON Lines have none); blank
    lines count, so row N is always the N-th line after the header.
    """

    def __init__(
        self,
        engine: Engine,
        tables: JobTables[J, E],
        job: J,
        kind: ImportKind[R],
        *,
        csv_rows: CsvRows | None,
        header: RawLine | None,
        batch_size: int,
        bytes_read: Callable[[], int] | None = None,
        worker: str | None = None,
    ) -> None:
        assert job.id is not None
        # The worker whose lease the job must still be under for each write (a
        # queued job's); None for a job run by its request.
        self._worker = worker
        # How many bytes of the body the lines fed so far came from (None: not counted).
        self._bytes_read = bytes_read
        self._engine = engine
        self._tables = tables
        self._job_id = job.id
        self._kind = kind
        self._csv = csv_rows
        self._encoding = job.encoding
        self._batch_size = batch_size
        self._offset = header.number if header is not None else 0
        self._skip_through = job.committed_row + self._offset  # a line number
        self._skip_digest = job.committed_digest
        self._hash = hashlib.sha256()
        self._pending: list[RawLine] = []
        self._last_line = 0  # the last line digested
        self._seen = 0  # the last line fed
        self._written = 0
        if header is not None:
            self._digest_line(header)
            self._seen = header.number

    def _digest_line(self, line: RawLine) -> None:
        self._hash.update(line.data)
        self._hash.update(b"\n")
        self._last_line = line.number

    def feed(self, lines: Sequence[RawLine]) -> None:
        """Take the next lines of the file; `take` a batch while `ready`."""
        if lines:
            self._seen = lines[-1].number
        for line in lines:
            if line.number <= self._skip_through:
                # Committed already: only checked against what was committed.
                self._digest_line(line)
                if line.number == self._skip_through and (
                    self._hash.hexdigest() != self._skip_digest
                ):
                    raise Conflict("the file differs from the one whose import was interrupted")
            else:
                self._pending.append(line)

    def ready(self) -> bool:
        return len(self._pending) >= self._batch_size

    def take(self) -> Batch:
        """The next full batch, with the progress it commits."""
        lines = self._pending[: self._batch_size]
        del self._pending[: self._batch_size]
        return self._batch(lines)

    def take_last(self) -> Batch:
        """The lines after the last full batch, once the file has ended."""
        if self._seen < self._skip_through:
            raise Conflict("the file is shorter than the one whose import was interrupted")
        lines, self._pending = self._pending, []
        return self._batch(lines)

    def _batch(self, lines: list[RawLine]) -> Batch:
        if lines:
            # One call over the batch: the digest is of the lines, each followed by
            # a line feed, whatever the calls.
            self._hash.update(b"\n".join([line.data for line in lines]))
            self._hash.update(b"\n")
            self._last_line = lines[-1].number
        return Batch(lines, max(self._last_line - self._offset, 0), self._hash.hexdigest())

    def parse(self, batch: Batch) -> ParsedBatch[R]:
        parsed: list[R] = []
        errors: list[RowError] = []
        kind, offset, encoding = self._kind, self._offset, self._encoding
        for line in batch.lines:
            row = line.number - offset
            if line.too_long:
                reason = f"longer than {MAX_LINE_BYTES // 1024} KiB"
                errors.append(RowError(row, "line", reason, "too_long"))
                continue
            if not line.data.strip():
                continue
            try:
                text = line.data.decode(encoding)
            except UnicodeDecodeError:
                errors.append(RowError(row, "line", f"not valid {encoding} text", "encoding"))
                continue
            values = (
                self._csv.values(row, text) if self._csv is not None else json_values(row, text)
            )
            outcome = [values] if isinstance(values, RowError) else kind.check(row, values)
            if not isinstance(outcome, list):
                parsed.append(outcome)
            elif line.terminated:
                errors.extend(outcome)
            else:
                errors.extend(
                    RowError(
                        e.row,
                        e.field,
                        f"{e.reason} (last line has no line break: truncated?)",
                        "truncated",
                    )
                    for e in outcome
                )
        return ParsedBatch(parsed, errors, batch.last_row, batch.digest)

    def write(self, batch: ParsedBatch[R]) -> None:
        rows, errors = self._kind.prepare(batch.rows)
        errors = [*batch.errors, *errors]
        jobs = self._tables.jobs
        read: dict[str, object] = {}
        if self._bytes_read is not None:
            read["bytes_read"] = self._bytes_read()
        with batch_transaction(self._engine, write_lock=self._kind.write_lock) as session:
            result = self._kind.apply_batch(session, rows)
            errors.extend(result.errors)
            errors.sort(key=lambda e: e.row)
            self._tables.add_errors(session, self._job_id, errors)
            progressed = session.connection().execute(
                update(jobs)
                .where(self._this_job())
                .values(
                    inserted=jobs.c.inserted + result.inserted,
                    updated=jobs.c.updated + result.updated,
                    unchanged=jobs.c.unchanged + result.unchanged,
                    failed=jobs.c.failed + len({e.row for e in errors}),
                    committed_row=batch.last_row,
                    committed_digest=batch.digest,
                    rows_read=batch.last_row,
                    heartbeat_at=now_utc(),
                    **read,
                )
            )
            if progressed.rowcount != 1:
                # Another worker took the job over (this one's lease ran out):
                # the batch is rolled back, and that worker goes on from the
                # last batch committed.
                raise LeaseLost(f"import #{self._job_id} is now run by another worker")
        self._written += result.inserted + result.updated

    def _this_job(self) -> Any:
        jobs = self._tables.jobs
        if self._worker is None:
            return jobs.c.id == self._job_id
        return (jobs.c.id == self._job_id) & (jobs.c.worker == self._worker)

    def _set(self, **values: object) -> None:
        jobs = self._tables.jobs
        with batch_transaction(self._engine) as session:
            session.execute(update(jobs).where(self._this_job()).values(**values))

    def complete(self) -> None:
        """Mark the job completed, once its last batch is written. The whole body has
        been read: its size is known now, whether or not it was declared."""
        done: dict[str, object] = {}
        if self._bytes_read is not None:
            size = self._bytes_read()
            done = {"bytes_read": size, "bytes_total": size}
        self._set(status="completed", finished_at=now_utc(), **done)

    def interrupt(self) -> None:
        self._set(status="interrupted")

    def maintain(self) -> None:
        """The kind's maintenance after what the job wrote. The job is complete
        already: a failure here is logged, and changes nothing."""
        try:
            self._kind.after(self._written)
        except Exception:
            log.warning("maintenance after import #%s failed", self._job_id, exc_info=True)

    def close(self) -> None:
        try:
            self._kind.close()
        except Exception:
            log.warning("closing import #%s failed", self._job_id, exc_info=True)


async def run(
    runner: ImportRunner[R, J, E], first: list[RawLine], blocks: AsyncIterator[list[RawLine]]
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
                    # Shielded: a cancelled job (its process stopping) must not
                    # cancel the write itself, whose thread goes on regardless;
                    # the handler below waits for it, so the job is put back
                    # only after that batch has committed or rolled back.
                    await asyncio.shield(writing)
                writing = asyncio.ensure_future(run_in_threadpool(runner.write, parsed))
            block = await anext(blocks, None)
            if block is None:
                break
            runner.feed(block)
        last = await run_in_threadpool(runner.parse, runner.take_last())
        if writing is not None:
            await asyncio.shield(writing)
        writing = asyncio.ensure_future(run_in_threadpool(runner.write, last))
        await asyncio.shield(writing)
        writing = None
        await run_in_threadpool(runner.complete)
    except BaseException:
        if writing is not None:
            # Let a write in flight end before the job is marked interrupted; its
            # own failure, if any, is the one already being raised or a consequence.
            await asyncio.wait([writing])
            if not writing.cancelled():
                writing.exception()
        await run_in_threadpool(runner.interrupt)
        await run_in_threadpool(runner.close)
        raise
    await run_in_threadpool(runner.maintain)
    await run_in_threadpool(runner.close)
