"""Engines and the one place that commits: the request-scoped session dependencies.

Why a request's transaction finishes off the shared threadpool
---------------------------------------------------------------
Sync endpoints and sync dependencies run on the framework's one threadpool
(anyio's default limiter, 40 threads). A transaction that holds a lock — the
SQLite write lock, a PostgreSQL row lock — used to commit in the session
dependency's teardown, a second trip to that threadpool. Under load every
thread could be taken by requests waiting on that very lock (SQLite's
`busy_timeout`, `SELECT … FOR UPDATE`, a pool checkout), so the holder could
not get a thread to commit, and the waiters gave up with 500s ("database is
locked" after the 10 s busy timeout; the pool's 30 s checkout timeout on
PostgreSQL). So:

* the session dependencies are async and commit, roll back and close on a
  per-engine limiter of their own (`_Gates.finish`), never on the shared
  threadpool: a transaction that holds a lock can always finish;
* write transactions (`WriteSessionDep`) first pass a per-engine writer gate
  (`_Gates.writers`), waited for in the event loop, holding no thread and no
  connection: on SQLite one writer at a time (all SQLite allows anyway, so
  the rest queue in order instead of polling the lock from threads), on
  PostgreSQL at most `pool_size` at once, so writers waiting on row locks can
  never hold more than half of the pool (`pool_size + max_overflow`);
* a write transaction opens `BEGIN IMMEDIATE` lazily, at its first statement,
  in the thread that runs the endpoint, so no lock is taken in one threadpool
  call and needed again in the next.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import registry
from sqlmodel import Session, SQLModel, create_engine

from services.common.errors import ServiceUnavailable

# Named constraints so that Alembic migrations can alter and drop them on
# both SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# How long a write waits for its turn at the gate. Below the gateway's upstream
# read timeout (30 s), so the caller gets this service's 503 — nothing written,
# retry later — rather than a 504 for a write that might still happen after it.
WRITER_GATE_TIMEOUT = 20.0
# SQLAlchemy's QueuePool defaults, which SQLite file engines use.
_SQLITE_POOL_CAPACITY = 5 + 10


def new_registry() -> registry:
    """A registry with its own metadata: one per service, never shared."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def normalise_url(url: str) -> str:
    """Point plain postgresql:// URLs at psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 opens transactions lazily; we emit BEGIN ourselves
    # (see _sqlite_begin) so that BEGIN IMMEDIATE can be used for writes.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at BEGIN, so two writers never both read
    # a balance and then both fail (or both succeed) at commit.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


@dataclass(frozen=True)
class _Capacity:
    writers: int  # write transactions in flight at once
    finishers: int  # threads for commits, rollbacks and closes


# Set by make_engine; engines made elsewhere get the defaults of _capacity_of.
_CAPACITIES: weakref.WeakKeyDictionary[Engine, _Capacity] = weakref.WeakKeyDictionary()


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _CAPACITIES[engine] = _Capacity(writers=1, finishers=2 * _SQLITE_POOL_CAPACITY)
        return engine
    engine = create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )
    # Every session that reaches its finish holds (or is about to take) one of
    # the 2 × pool_size connections; twice that many finishing threads means a
    # finish never queues behind finishes that wait for it.
    _CAPACITIES[engine] = _Capacity(writers=pool_size, finishers=4 * pool_size)
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _capacity_of(engine: Engine) -> _Capacity:
    known = _CAPACITIES.get(engine)
    if known is not None:
        return known
    return _Capacity(writers=1 if is_sqlite(engine) else 10, finishers=40)


class _Gates:
    """One engine's writer gate and finishing limiter, in one event loop."""

    def __init__(self, engine: Engine) -> None:
        capacity = _capacity_of(engine)
        # FIFO: writers get their turn in the order they arrived.
        self.writers = anyio.Semaphore(capacity.writers)
        self.finish = anyio.CapacityLimiter(capacity.finishers)
        # Sessions bound here open their transaction as BEGIN IMMEDIATE on SQLite.
        self.write_bind: Engine = (
            engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
        )


# anyio primitives belong to one event loop; a RunVar holds one set per loop
# (tests run an app under several loops in turn), each keyed by engine.
_GATES: RunVar[weakref.WeakKeyDictionary[Engine, _Gates]] = RunVar("renshi_db_gates")


def _gates(engine: Engine) -> _Gates:
    try:
        by_engine = _GATES.get()
    except LookupError:
        by_engine = weakref.WeakKeyDictionary()
        _GATES.set(by_engine)
    gates = by_engine.get(engine)
    if gates is None:
        gates = by_engine[engine] = _Gates(engine)
    return gates


async def _finish(session: Session, commit: bool, limiter: anyio.CapacityLimiter) -> None:
    def work() -> None:
        # Closing rolls back whatever a failed commit left open.
        with session:
            if commit:
                session.commit()
            else:
                session.rollback()

    # Shielded: a cancelled request still releases its locks and its connection.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(work, limiter=limiter)


@asynccontextmanager
async def _session_scope(bind: Engine, gates: _Gates) -> AsyncIterator[Session]:
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _finish(session, False, gates.finish)
        raise
    await _finish(session, True, gates.finish)


async def get_session(request: Request) -> AsyncGenerator[Session, None]:
    """Commit when the handler returns, roll back when it raises."""
    engine: Engine = request.app.state.engine
    async with _session_scope(engine, _gates(engine)) as session:
        yield session


async def get_write_session(request: Request) -> AsyncGenerator[Session, None]:
    """A session for a write that locks what it changes: its turn at the engine's
    writer gate first, then BEGIN IMMEDIATE on SQLite at the first statement."""
    engine: Engine = request.app.state.engine
    gates = _gates(engine)
    with anyio.move_on_after(WRITER_GATE_TIMEOUT) as waited:
        await gates.writers.acquire()
    if waited.cancelled_caught:
        raise ServiceUnavailable(
            "too many writes are waiting; nothing was written, retry shortly",
            headers={"Retry-After": "1"},
        )
    try:
        async with _session_scope(gates.write_bind, gates) as session:
            yield session
    finally:
        gates.writers.release()


# scope="function": commit before the response is sent, so a failed commit is
# reported to the caller instead of being lost after a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]

__all__ = [
    "NAMING_CONVENTION",
    "SQLModel",
    "SessionDep",
    "WriteSessionDep",
    "get_session",
    "get_write_session",
    "make_engine",
    "new_registry",
]
