"""A toy import on the kernel's pipeline: `things(key unique, value)` upserted from
CSV or JSON Lines, on tables of a test-only registry.

The route is what a service's import route does (`queue_or_run_import`, then
`fresh_job_out` or the 202 as it is); `Knobs` lets a test make a batch fail, have `prepare` refuse
keys (as a peer that knows no such person would), and see what each step got.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import FastAPI, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import UniqueConstraint, select
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Field, Session, SQLModel, col
from starlette.concurrency import run_in_threadpool

from services.common.db import new_registry
from services.common.errors import NotFound, ServiceUnavailable, install_error_handlers
from services.common.importing.http import (
    IDEMPOTENCY_KEY_PATTERN,
    ImportStart,
    ImportStatus,
    errors_csv,
    format_of,
    fresh_job_out,
    job_list,
    queue_or_run_import,
)
from services.common.importing.jobs_store import JobTables
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.importing.queue import ImportQueue
from services.common.importing.rows import RowError, present, validated
from services.common.importing.runner import BatchResult, ImportKind, Opened
from services.common.importing.schemas import ImportJobOut, ImportJobSummary
from services.common.pagination import Page, PageDep
from services.common.principal import Principal

_registry = new_registry()
metadata = _registry.metadata
SOURCE = "toy"
ACTOR = "importer.a"
# A value the store itself refuses, in `apply_batch`.
UNLUCKY = 13


class ToyTable(SQLModel, registry=_registry):
    pass


class ToyImportJob(ToyTable, StoredImportJob, table=True):
    __tablename__ = "toy_import_jobs"
    __table_args__ = (UniqueConstraint("source", "idempotency_key"),)


class ToyImportError(ToyTable, StoredImportError, table=True):
    __tablename__ = "toy_import_errors"

    job_id: int = Field(foreign_key="toy_import_jobs.id", index=True)


class Thing(ToyTable, table=True):
    __tablename__ = "things"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=16, unique=True)
    value: int


TABLES = JobTables(ToyImportJob, ToyImportError)


class ThingRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Annotated[str, PydanticField(min_length=1, max_length=16)]
    value: Annotated[int, PydanticField(ge=0)]


@dataclass(frozen=True)
class Checked:
    row: int
    thing: ThingRow


@dataclass
class Knobs:
    batch_size: int = 1000
    fail_on_batch: int | None = None  # apply_batch's n-th call (of a job) raises
    refused: set[str] = field(default_factory=set)  # keys prepare refuses
    peer_down: bool = False  # prepare answers as a peer that cannot be reached
    kinds_made: int = 0
    # Called at each apply_batch with the batch's rows' numbers (a test looks in).
    during_batch: Callable[[list[int]], None] | None = None
    # Per call: the connections the engine's pool had out, and the rows' numbers.
    prepared: list[tuple[int, list[int]]] = field(default_factory=list)
    applied: list[tuple[int, list[int]]] = field(default_factory=list)


class ThingImport(ImportKind[Checked]):
    required = ("key", "value")
    known = ("key", "value")

    def __init__(self, engine: Engine, knobs: Knobs, dry_run: bool) -> None:
        self.engine = engine
        self.knobs = knobs
        self.dry_run = dry_run
        self.calls = 0

    def check(self, row: int, values: dict[str, str]) -> Checked | list[RowError]:
        outcome = validated(ThingRow, row, present(values))
        return outcome if isinstance(outcome, list) else Checked(row, outcome)

    def prepare(self, rows: list[Checked]) -> tuple[list[Checked], list[RowError]]:
        if self.knobs.peer_down:
            raise ServiceUnavailable("the peer that knows the keys is unavailable")
        self.knobs.prepared.append((connections_out(self.engine), [r.row for r in rows]))
        kept = [r for r in rows if r.thing.key not in self.knobs.refused]
        errors = [
            RowError(r.row, "key", "no such key at the peer", "refused")
            for r in rows
            if r.thing.key in self.knobs.refused
        ]
        return kept, errors

    def apply_batch(self, session: Session, rows: list[Checked]) -> BatchResult:
        self.calls += 1
        if self.knobs.during_batch is not None:
            self.knobs.during_batch([r.row for r in rows])
        if self.calls == self.knobs.fail_on_batch:
            raise RuntimeError("the store went away")
        result = BatchResult()
        keys = [r.thing.key for r in rows]
        stored = {
            t.key: t.value for t in session.scalars(select(Thing).where(col(Thing.key).in_(keys)))
        }
        # The session's transaction is open now: its connection is out.
        self.knobs.applied.append((connections_out(self.engine), [r.row for r in rows]))
        for r in rows:
            key, value = r.thing.key, r.thing.value
            if value == UNLUCKY:
                result.errors.append(RowError(r.row, "value", "the store refuses it", "unlucky"))
                continue
            if key not in stored:
                result.inserted += 1
                if not self.dry_run:
                    session.add(Thing(key=key, value=value))
            elif stored[key] == value:
                result.unchanged += 1
            else:
                result.updated += 1
                if not self.dry_run:
                    thing = session.scalars(select(Thing).where(col(Thing.key) == key)).one()
                    thing.value = value
                    session.add(thing)
            stored[key] = value
            session.flush()
        return result


def connections_out(engine: Engine) -> int:
    """The connections the engine's pool has handed out (QueuePool, for SQLite
    files and PostgreSQL alike)."""
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


def make_app(engine: Engine, knobs: Knobs, queue: ImportQueue | None = None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.state.engine = engine
    if queue is not None:
        app.state.import_queue = queue

    @app.post("/things/imports", status_code=201, response_model=ImportJobOut)
    async def create_import(
        request: Request,
        response: Response,
        file_format: Annotated[Literal["csv", "jsonl"] | None, Query(alias="format")] = None,
        dry_run: bool = False,
        idempotency_key: Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY_PATTERN)] = None,
        x_actor: Annotated[str, Header()] = ACTOR,
    ) -> ImportJobOut | Response:
        chosen = format_of(request.headers.get("content-type"), file_format)
        start = ImportStart(SOURCE, chosen, dry_run, idempotency_key, x_actor, frozenset({"A01"}))

        def make_kind(job: ToyImportJob) -> ThingImport:
            knobs.kinds_made += 1
            return ThingImport(engine, knobs, job.dry_run)

        outcome = await queue_or_run_import(
            request,
            TABLES,
            start,
            make_kind,
            required=ThingImport.required,
            known=ThingImport.known,
            batch_size=knobs.batch_size,
        )
        if isinstance(outcome, Response):
            return outcome
        job, opened = outcome
        assert job.id is not None
        if opened is not Opened.CREATED:
            response.status_code = 200
        return await run_in_threadpool(fresh_job_out, engine, TABLES, job.id)

    @app.get("/things/imports")
    def list_imports(
        page: PageDep,
        status: ImportStatus | None = None,
        x_actor: Annotated[str, Header()] = ACTOR,
        x_agencies: Annotated[str, Header()] = "A01",
    ) -> Page[ImportJobSummary]:
        who = Principal(sub=x_actor, kind="human", agency_scope=x_agencies.split(","))
        with Session(engine) as session:
            return job_list(session, TABLES, who, page, sources=(SOURCE,), status=status)

    @app.get("/things/imports/{job_id}")
    def get_import(job_id: int) -> ImportJobOut:
        with Session(engine) as session:
            if TABLES.get(session, job_id) is None:
                raise NotFound("no such import")
        return fresh_job_out(engine, TABLES, job_id)

    @app.get("/things/imports/{job_id}/errors.csv")
    def get_errors(job_id: int) -> StreamingResponse:
        with Session(engine) as session:
            job = TABLES.get(session, job_id)
            if job is None:
                raise NotFound("no such import")
            return errors_csv(session, TABLES, job)

    return app


def things(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {t.key: t.value for t in session.scalars(select(Thing))}
