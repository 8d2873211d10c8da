"""Drive one import job: batches committed one by one, resumable after a crash.

Each batch commits its records together with the job's progress (the last line
committed and a digest of every line up to it), so after a crash the job says
exactly where the data stops. Re-posting the same file with the same idempotency
key skips the committed lines (checking that they are byte for byte the same) and
goes on; rows are idempotent by (source, external id) anyway, so nothing lands twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from services.common.errors import Conflict
from services.common.timeutil import now_utc
from services.training.imports.batch import JobContext, apply_batch
from services.training.imports.lines import RawLine
from services.training.imports.rows import CsvRows, ParsedRow, RowError, check, json_values
from services.training.models import ImportJob
from services.training.store import imports as jobs
from services.training.store import records

log = logging.getLogger("renshi.training.imports")
JOBS = ImportJob.__table__  # type: ignore[attr-defined]
# Rows per transaction: each batch is committed together with the job's progress.
# Larger batches spread each batch's lookups and commit over more rows; two are
# in memory at a time (one parsed, one being written), some 60 MB at this size.
BATCH_SIZE = 20_000
# A running job whose last batch committed longer ago than this was left by a
# process that died; re-posting with the same idempotency key resumes it.
LEASE_SECONDS = 120


class Opened(StrEnum):
    CREATED = "created"
    RESUMED = "resumed"
    DONE = "done"  # the same key already completed: nothing to do


@dataclass(frozen=True)
class JobRequest:
    source: str
    format: str
    encoding: str
    dry_run: bool
    key: str | None
    actor: str
    scope: frozenset[str]  # the actor's agencies, kept with the job (who may read it)


def open_job(engine: Engine, req: JobRequest, lease_seconds: int) -> tuple[ImportJob, Opened]:
    """A new job, or the interrupted one with the same idempotency key."""
    # BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL: two re-posts of one
    # key cannot both resume it.
    immediate = engine.execution_options(sqlite_begin="IMMEDIATE")
    with Session(immediate, expire_on_commit=False) as session, session.begin():
        job = jobs.by_key(session, req.source, req.key, lock=True) if req.key else None
        if job is not None:
            if job.created_by != req.actor:
                raise Conflict("this idempotency key belongs to another account's import")
            if (job.format, job.dry_run, job.encoding) != (
                req.format,
                req.dry_run,
                req.encoding,
            ):
                raise Conflict("this idempotency key was used with other parameters")
            if job.status == "completed":
                return job, Opened.DONE
            stale = now_utc() - job.heartbeat_at > timedelta(seconds=lease_seconds)
            if job.status == "running" and not stale:
                raise Conflict("this import is still running")
            job.status = "running"
            job.heartbeat_at = now_utc()
            session.add(job)
            return job, Opened.RESUMED
        job = ImportJob(
            source=req.source,
            format=req.format,
            encoding=req.encoding,
            dry_run=req.dry_run,
            idempotency_key=req.key,
            status="running",
            created_by=req.actor,
            agency_scope=sorted(req.scope),
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
    last_line: int
    digest: str  # of every line up to `last_line`


@dataclass(frozen=True)
class ParsedBatch:
    rows: list[ParsedRow]
    errors: list[RowError]
    last_line: int
    digest: str


class ImportRunner:
    """A job's lines in, batches out: `feed` lines, `take` a batch while `ready`,
    `parse` it (no database), `write` it (one transaction with the job's progress).

    Parsing touches nothing shared, so the caller may parse a batch while the
    previous one is still being written; writes must run one at a time, in order.
    """

    def __init__(
        self,
        engine: Engine,
        job: ImportJob,
        ctx: JobContext,
        *,
        csv_rows: CsvRows | None,
        header: RawLine | None,
        batch_size: int,
        today: date,
    ) -> None:
        assert job.id is not None
        self._engine = engine
        self._job_id = job.id
        self._ctx = ctx
        self._csv = csv_rows
        self._encoding = job.encoding
        self._batch_size = batch_size
        self._today = today
        self._skip_through = job.committed_row
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
        return Batch(lines, self._last_line, self._hash.hexdigest())

    def parse(self, batch: Batch) -> ParsedBatch:
        parsed: list[ParsedRow] = []
        errors: list[RowError] = []
        for line in batch.lines:
            if line.too_long:
                errors.append(RowError(line.number, "line", "longer than 64 KiB", "too_long"))
                continue
            if not line.data.strip():
                continue
            try:
                text = line.data.decode(self._encoding)
            except UnicodeDecodeError:
                errors.append(
                    RowError(line.number, "line", f"not valid {self._encoding} text", "encoding")
                )
                continue
            values = (
                self._csv.values(line.number, text)
                if self._csv is not None
                else json_values(line.number, text)
            )
            outcome = (
                [values]
                if isinstance(values, RowError)
                else check(line.number, values, self._today)
            )
            if isinstance(outcome, ParsedRow):
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
        return ParsedBatch(parsed, errors, batch.last_line, batch.digest)

    def write(self, batch: ParsedBatch) -> None:
        errors = list(batch.errors)
        with Session(self._engine) as session:
            result = apply_batch(session, self._ctx, batch.rows)
            errors.extend(result.errors)
            errors.sort(key=lambda e: e.row)
            jobs.add_errors(session, self._job_id, errors)
            session.execute(
                update(JOBS)
                .where(JOBS.c.id == self._job_id)
                .values(
                    inserted=JOBS.c.inserted + result.inserted,
                    updated=JOBS.c.updated + result.updated,
                    unchanged=JOBS.c.unchanged + result.unchanged,
                    failed=JOBS.c.failed + len({e.row for e in errors}),
                    committed_row=batch.last_line,
                    committed_digest=batch.digest,
                    rows_read=batch.last_line,
                    heartbeat_at=now_utc(),
                )
            )
            session.commit()
        if not self._ctx.dry_run:
            self._written += result.inserted + result.updated

    def complete(self) -> None:
        """Mark the job completed, once its last batch is written."""
        with Session(self._engine) as session:
            session.execute(
                update(JOBS)
                .where(JOBS.c.id == self._job_id)
                .values(status="completed", finished_at=now_utc())
            )
            session.commit()

    def maintain(self) -> None:
        """Bring the table's statistics up to date after what the job wrote. The job
        is complete already: a failure here is logged, and changes nothing."""
        try:
            records.after_bulk_write(self._engine, self._written)
        except DBAPIError:
            log.warning("maintenance after import #%s failed", self._job_id, exc_info=True)

    def interrupt(self) -> None:
        with Session(self._engine) as session:
            session.execute(
                update(JOBS).where(JOBS.c.id == self._job_id).values(status="interrupted")
            )
            session.commit()
