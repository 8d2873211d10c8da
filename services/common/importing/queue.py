"""Imports answered `202 Accepted` and run as jobs.

A request that asks for it (`Prefer: respond-async`) or declares a body above
the service's `import_async_bytes` has its body spooled to a file under the
service's spool folder, its job stored as `queued` in the service's own
database, and is answered at once. A worker then claims the job from the
database and runs it through the same runner as a request would, to the end,
whether or not the client is still there.

Claims are what make two workers (two tasks, two processes) never run one job:
a guarded `UPDATE … WHERE status = 'queued'` that one transaction wins, behind
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL and the database's write lock
(BEGIN IMMEDIATE) on SQLite. A running job's lease is its `heartbeat_at`,
refreshed by every batch and by a heartbeat while a batch is long; a job whose
lease ran out (its worker task died) is claimed again and resumes after its last
committed batch, the runner skipping the lines it already wrote.

How a worker builds a job's import: an import whose kind is made from the job
row alone (its account, agencies, dry run) and the service's settings is
*portable* (`portable_import`, registered where the route is declared): any
replica's worker, or `renshi worker <service>`, claims its jobs, and a queued
job is built that way even by the process that accepted it. An import built
from its request only (none is today) would be held by the process that
accepted the job (`hold`), which alone claims it; if that process stopped, the
job would wait for the file to be re-posted with the same Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar
from uuid import uuid4

import anyio
from fastapi import FastAPI, Request
from sqlalchemy import and_, or_, select, true, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.common.errors import Conflict, Problem
from services.common.importing import runner as runner_module
from services.common.importing.jobs_store import JobTables
from services.common.importing.lines import line_blocks
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.importing.progress import CountedBytes
from services.common.importing.runner import (
    LEASE_SECONDS,
    ImportKind,
    ImportRunner,
    JobRequest,
    LeaseLost,
    Opened,
    check_same_request,
)
from services.common.settings import VAR_DIR
from services.common.timeutil import now_utc
from services.common.transactions import batch_transaction

log = logging.getLogger("renshi.imports")
R = TypeVar("R")
J = TypeVar("J", bound=StoredImportJob)
E = TypeVar("E", bound=StoredImportError)
PREFER_ASYNC = "respond-async"
DEFAULT_ASYNC_BYTES = 4 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
FAILURE_CHARS = 300


def prefers_async(request: Request) -> bool:
    """`Prefer: respond-async` (RFC 7240), among any other preferences."""
    for value in request.headers.getlist("prefer"):
        for preference in value.split(","):
            token = preference.split(";")[0].split("=")[0].strip().lower()
            if token == PREFER_ASYNC:
                return True
    return False


def should_queue(request: Request) -> bool:
    """Asked for, or a declared body above the service's threshold. A chunked
    body of unknown length runs in its request, as before."""
    if prefers_async(request):
        return True
    settings = getattr(request.app.state, "settings", None)
    threshold = getattr(settings, "import_async_bytes", DEFAULT_ASYNC_BYTES)
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > threshold


@dataclass(frozen=True)
class HeldImport(Generic[R, J, E]):
    """How to run one queued job: what its route would have done in the request."""

    tables: JobTables[J, E]
    make_kind: Callable[[J], ImportKind[R]]
    required: tuple[Any, ...]
    known: tuple[str, ...] | None
    batch_size: int


@dataclass(frozen=True)
class PortableImport(Generic[R, J, E]):
    """An import whose kind any worker of the service can build: from the job and
    the service's settings."""

    tables: JobTables[J, E]
    build: Callable[[J, Any], ImportKind[R]]
    required: tuple[Any, ...] = ()
    known: tuple[str, ...] | None = None
    batch_size: int = 1000

    def held(self, settings: Any) -> HeldImport[R, J, E]:
        build = self.build
        return HeldImport(
            self.tables,
            lambda job: build(job, settings),
            self.required,
            self.known,
            self.batch_size,
        )


# service name -> source -> its portable import; filled as route modules load.
_PORTABLE: dict[str, dict[str, PortableImport[Any, Any, Any]]] = {}
# The source of a portable import that is every job of its table, whatever its
# `source` says (training's: the platform, one of many, none known in advance).
ANY_SOURCE = "*"


def portable_import(service: str, source: str, portable: PortableImport[Any, Any, Any]) -> None:
    """Declare that the `source` import of `service` (`ANY_SOURCE`: every job of
    its table) may be run by any of its workers."""
    _PORTABLE.setdefault(service, {})[source] = portable


def portable_imports(service: str) -> dict[str, PortableImport[Any, Any, Any]]:
    return dict(_PORTABLE.get(service, {}))


def portable_for(
    service: str | None, tables: JobTables[Any, Any], source: str
) -> PortableImport[Any, Any, Any] | None:
    """The portable import that runs `source` jobs of these tables, if any."""
    if service is None:
        return None
    entries = _PORTABLE.get(service, {})
    for key in (source, ANY_SOURCE):
        entry = entries.get(key)
        if entry is not None and entry.tables.jobs.name == tables.jobs.name:
            return entry
    return None


def failure_reason(exc: BaseException) -> str:
    """What a failed job says: a problem's own words (they name fields and rules,
    never a value of the file), else that the error is in the log."""
    if isinstance(exc, Problem):
        reason = exc.detail or exc.title
        if exc.errors:
            reason += ": " + "; ".join(e.reason for e in exc.errors if e.reason != reason)
        return reason.rstrip(": ")[:FAILURE_CHARS]
    return "the import stopped on an internal error (logged with the job's id)"


class ImportQueue:
    """A process's side of the queued imports of one service database: the
    builders of the jobs it accepted, the claim, the run, the wake-up."""

    def __init__(
        self,
        engine: Engine,
        spool_dir: Path,
        *,
        name: str | None = None,
        lease_seconds: float = LEASE_SECONDS,
        service: str | None = None,
        settings: Any = None,
    ) -> None:
        self.engine = engine
        self.spool_dir = spool_dir
        # Whose portable imports this queue's workers also run, built with these.
        self.service = service
        self.settings = settings
        self.name = name or f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self._held: dict[tuple[str, int], HeldImport[Any, Any, Any]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    # ------------------------------------------------------------ spool

    def spool_path(self, tables: JobTables[Any, Any], job_id: int) -> Path:
        return self.spool_dir / f"{tables.jobs.name}-{job_id}.body"

    async def spool(self, chunks: AsyncIterator[bytes]) -> tuple[Path, int]:
        """The body written to a fresh file as it streams in, and its size; the
        file is removed if the upload breaks off."""
        await anyio.Path(self.spool_dir).mkdir(parents=True, exist_ok=True)
        path = self.spool_dir / f"{uuid4().hex}.part"
        size = 0
        try:
            async with await anyio.open_file(path, "wb") as out:
                async for chunk in chunks:
                    await out.write(chunk)
                    size += len(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path, size

    # ------------------------------------------------------------ holding

    def hold(self, held: HeldImport[Any, Any, Any], job_id: int) -> None:
        with self._lock:
            self._held[(held.tables.jobs.name, job_id)] = held
        self.wake()

    def _release(self, held: HeldImport[Any, Any, Any], job_id: int) -> None:
        with self._lock:
            self._held.pop((held.tables.jobs.name, job_id), None)

    def held_ids(self) -> dict[str, list[int]]:
        with self._lock:
            ids: dict[str, list[int]] = {}
            for table, job_id in self._held:
                ids.setdefault(table, []).append(job_id)
            return ids

    # ------------------------------------------------------------ claim

    def claim(self) -> tuple[HeldImport[Any, Any, Any], int] | None:
        """A job, queued or with its lease run out, that this worker holds or whose
        import is portable, made this worker's; None when there is none. Exactly
        one of several claimers wins each job."""
        with self._lock:
            held_by_table: dict[str, dict[int, HeldImport[Any, Any, Any]]] = {}
            tables_by_name: dict[str, JobTables[Any, Any]] = {}
            for (table, job_id), held in self._held.items():
                held_by_table.setdefault(table, {})[job_id] = held
                tables_by_name[table] = held.tables
        portable: dict[str, dict[str, PortableImport[Any, Any, Any]]] = {}
        if self.service is not None:
            for source, entry in portable_imports(self.service).items():
                portable.setdefault(entry.tables.jobs.name, {})[source] = entry
                tables_by_name.setdefault(entry.tables.jobs.name, entry.tables)
        for name, tables in tables_by_name.items():
            helds = held_by_table.get(name, {})
            sources = portable.get(name, {})
            found = self._claim_in(tables, list(helds), list(sources))
            if found is None:
                self._forget_ended(tables, list(helds))
                continue
            job_id, source = found
            if job_id in helds:
                return helds[job_id], job_id
            entry = sources.get(source) or sources[ANY_SOURCE]
            return entry.held(self.settings), job_id
        return None

    def _claim_in(
        self, tables: JobTables[Any, Any], held: list[int], sources: list[str]
    ) -> tuple[int, str] | None:
        jobs = tables.jobs
        stale = now_utc() - timedelta(seconds=self.lease_seconds)
        claimable = or_(
            jobs.c.status == "queued",
            and_(jobs.c.status == "running", jobs.c.heartbeat_at < stale),
        )
        mine = (
            true()
            if ANY_SOURCE in sources
            else or_(jobs.c.id.in_(held), jobs.c.source.in_(sources))
        )
        with batch_transaction(self.engine, write_lock=True) as session:
            stmt = (
                select(jobs.c.id, jobs.c.source)
                .where(mine, jobs.c.spooled.is_(True), claimable)
                .order_by(jobs.c.id)
                .limit(1)
            )
            if self.engine.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            row = session.execute(stmt).first()
            if row is None:
                return None
            # The connection's answer (a cursor result) tells the rows it changed.
            won = session.connection().execute(
                update(jobs)
                .where(jobs.c.id == row.id, claimable)
                .values(status="running", worker=self.name, heartbeat_at=now_utc())
            )
            return (int(row.id), str(row.source)) if won.rowcount == 1 else None

    def _forget_ended(self, tables: JobTables[Any, Any], held: list[int]) -> None:
        """Held jobs that ended elsewhere (a portable one another worker ran) are
        no longer this process's to run."""
        if not held:
            return
        jobs = tables.jobs
        with Session(self.engine) as session:
            ended = session.execute(
                select(jobs.c.id).where(
                    jobs.c.id.in_(held), jobs.c.status.in_(("completed", "failed"))
                )
            ).scalars()
            gone = set(ended)
        with self._lock:
            for job_id in gone:
                self._held.pop((tables.jobs.name, job_id), None)

    # ------------------------------------------------------------ run

    async def run_once(self) -> int | None:
        """Claim one job and run it to its end (completed or failed): its id, or
        None when there was nothing to claim. What tests call instead of waiting."""
        claimed = await run_in_threadpool(self.claim)
        if claimed is None:
            return None
        held, job_id = claimed
        await self._run(held, job_id)
        return job_id

    async def _run(self, held: HeldImport[Any, Any, Any], job_id: int) -> None:
        tables = held.tables
        path = self.spool_path(tables, job_id)
        beat = asyncio.ensure_future(self._heartbeat(tables, job_id))
        taken_over = False
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                job = tables.get(session, job_id)
                assert job is not None
            if not path.exists():
                raise Conflict(
                    "the job's spooled body is not in this worker's spool folder: "
                    "replicas that run one another's imports share one"
                )
            counted = CountedBytes()
            blocks = line_blocks(counted.through(_file_chunks(path)))
            # Imported here: http imports this module for the routes' answers.
            from services.common.importing.http import read_header

            header, csv_rows, first = await read_header(
                blocks, job.format, job.encoding, held.required, held.known
            )
            kind = await run_in_threadpool(held.make_kind, job)
            job_runner = ImportRunner(
                self.engine,
                tables,
                job,
                kind,
                csv_rows=csv_rows,
                header=header,
                batch_size=held.batch_size,
                bytes_read=counted.total,
                worker=self.name,
            )
            await runner_module.run(job_runner, first, blocks)
        except LeaseLost:
            # Its new worker reads the spooled body: it stays.
            log.warning("queued import #%s was taken over by another worker", job_id)
            taken_over = True
        except asyncio.CancelledError:
            # The process is stopping: the job goes back to the queue, to resume
            # after its committed batches (its body stays spooled). Not awaited:
            # the task is being cancelled, and this is one short statement.
            self._requeue(tables, job_id)
            raise
        except Exception as exc:
            if not isinstance(exc, Problem):
                # The exception's type only: its text may quote a row's values.
                log.error("queued import #%s failed: %s", job_id, type(exc).__name__)
            await run_in_threadpool(self._fail, tables, job_id, failure_reason(exc))
        finally:
            beat.cancel()
        self._release(held, job_id)
        if not taken_over:
            path.unlink(missing_ok=True)
            await run_in_threadpool(self._let_go, tables, job_id)

    def _requeue(self, tables: JobTables[Any, Any], job_id: int) -> None:
        jobs = tables.jobs
        with batch_transaction(self.engine) as session:
            session.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.worker == self.name)
                .values(status="queued", worker=None)
            )

    def _fail(self, tables: JobTables[Any, Any], job_id: int, reason: str) -> None:
        jobs = tables.jobs
        with batch_transaction(self.engine) as session:
            session.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.worker == self.name)
                .values(status="failed", failure=reason, finished_at=now_utc())
            )

    def _let_go(self, tables: JobTables[Any, Any], job_id: int) -> None:
        jobs = tables.jobs
        # A job that ended keeps the worker that ran it, the one record of which
        # replica took it; one left unfinished (interrupted) is nobody's now.
        with batch_transaction(self.engine) as session:
            session.execute(
                update(jobs)
                .where(
                    jobs.c.id == job_id,
                    jobs.c.worker == self.name,
                    jobs.c.status.not_in(("completed", "failed")),
                )
                .values(worker=None)
            )

    async def _heartbeat(self, tables: JobTables[Any, Any], job_id: int) -> None:
        """Keep the lease while one batch takes long (a peer answering slowly)."""
        jobs = tables.jobs

        def beat() -> None:
            with batch_transaction(self.engine) as session:
                session.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.worker == self.name)
                    .values(heartbeat_at=now_utc())
                )

        while True:
            await asyncio.sleep(self.lease_seconds / 4)
            try:
                await run_in_threadpool(beat)
            except Exception:
                # The next beat (or batch) tries again; a lease that runs out
                # meanwhile lets another worker resume the job, which is safe.
                log.warning("heartbeat of import #%s failed", job_id, exc_info=True)

    # ------------------------------------------------------------ the worker loop

    def wake(self) -> None:
        """A job was held: the worker loop, if one runs, looks at once."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def run_forever(self, poll_seconds: float) -> None:
        """Run held jobs one after the other as they come; look every
        `poll_seconds` too, for a lease run out."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            try:
                while await self.run_once() is not None:
                    pass
            except Exception:
                log.exception("the import worker failed to claim; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll_seconds)


async def check_spooled_header(
    path: Path,
    encoding: str,
    required: tuple[Any, ...],
    known: tuple[str, ...] | None,
) -> None:
    """A spooled CSV's header checked before its job is queued: a file the import
    cannot read is refused at once (422), as in its request, not failed later."""
    from services.common.importing.http import read_header

    # Closed once the header is read: the file is not held open until collected.
    async with contextlib.aclosing(_file_chunks(path)) as chunks:
        await read_header(line_blocks(chunks), "csv", encoding, required, known)


async def _file_chunks(path: Path) -> AsyncGenerator[bytes, None]:
    async with await anyio.open_file(path, "rb") as body:
        while chunk := await body.read(CHUNK_BYTES):
            yield chunk


def import_queue(app: FastAPI) -> ImportQueue:
    """The app's queue, made on first use from its settings."""
    queue: ImportQueue | None = getattr(app.state, "import_queue", None)
    if queue is None:
        settings = getattr(app.state, "settings", None)
        spool_dir = getattr(settings, "import_spool_dir", None) or VAR_DIR / "import-spool"
        service = getattr(settings, "service_name", None)
        lease = getattr(settings, "import_lease_seconds", None) or LEASE_SECONDS
        queue = ImportQueue(
            app.state.engine, spool_dir, lease_seconds=lease, service=service, settings=settings
        )
        app.state.import_queue = queue
    return queue


def existing_job(engine: Engine, tables: JobTables[J, E], req: JobRequest) -> J | None:
    """The job an idempotency key already names, when a re-post answers with it as
    it is (completed, or queued or running at a worker); None when the re-post
    starts or takes on a job."""
    if req.key is None:
        return None
    with Session(engine) as session:
        job = tables.by_key(session, req.source, req.key)
        if job is None:
            return None
        check_same_request(job, req)
        if job.status == "completed" or (job.spooled and job.status in ("queued", "running")):
            return job
        return None


def open_queued_job(
    engine: Engine,
    tables: JobTables[J, E],
    req: JobRequest,
    size: int,
    lease_seconds: float = LEASE_SECONDS,
) -> tuple[J, Opened]:
    """A new queued job for a spooled body, or the key's interrupted or failed job
    queued again (it resumes after its committed rows)."""
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
            job.status = "queued"
            job.spooled = True
            job.bytes_total = size
            job.failure = None
            job.finished_at = None
            job.worker = None
            job.heartbeat_at = now_utc()
            session.add(job)
            return job, Opened.RESUMED
        job = tables.job(
            source=req.source,
            format=req.format,
            encoding=req.encoding,
            dry_run=req.dry_run,
            idempotency_key=req.key,
            status="queued",
            spooled=True,
            bytes_total=size,
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
