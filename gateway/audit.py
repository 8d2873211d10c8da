"""The gateway's decision audit: exactly one row per decision, append-only.

Rows are queued by the request and written in batches by one background task,
so the hot path never waits on the database unless the queue is full (then it
waits: a decision is never dropped). The task gathers rows for a short interval
before each write: one transaction per request would cost a thread hand-off and
a commit for every decision, which under light load is most of the gateway's
added latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    insert,
)
from sqlalchemy.engine import Connection, Engine

from services.common.db import NAMING_CONVENTION
from services.common.timestamps import UtcDateTime

log = logging.getLogger("renshi.gateway.audit")

metadata = MetaData(naming_convention=NAMING_CONVENTION)

decisions = Table(
    "gateway_decisions",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    # Aware UTC on the way in and out: SQLite keeps no offset, and a time
    # without one is no RFC 3339 date-time for the auditor's client.
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("request_id", String(128), nullable=False),
    Column("subject", String(128), nullable=True, index=True),
    Column("account_kind", String(16), nullable=True),
    Column("source_ip", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("route", String(256), nullable=True),
    Column("decision", String(8), nullable=False, index=True),
    Column("status", Integer(), nullable=True),
    Column("latency_ms", Float(), nullable=False),
)

FIELDS = (
    "at",
    "request_id",
    "subject",
    "account_kind",
    "source_ip",
    "method",
    "route",
    "decision",
    "status",
    "latency_ms",
)


Row = tuple[Any, ...]


class _DriverInsert:
    """The batch insert as the database driver's own `executemany` on tuples.

    SQLAlchemy's insert of a list of dicts processed every value of every row
    in Python (a dict per row, a bind processor per value), in the writer's
    thread, holding the GIL the event loop needs: an eighth of the gateway's
    CPU under load. Here only `at` is converted (by the column type's own
    processor, so it is stored exactly as SQLAlchemy stores it), and the rest
    goes to the driver as it is. Drivers with other parameter styles use
    SQLAlchemy's insert."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
        self.sql = (
            None
            if marks is None
            # Only constant names: the table's and its columns'.
            else f"INSERT INTO {decisions.name} ({', '.join(FIELDS)}) "  # noqa: S608
            f"VALUES ({', '.join([marks] * len(FIELDS))})"
        )
        self._at = decisions.c.at.type.bind_processor(dialect)

    def __call__(self, conn: Connection, rows: list[Row]) -> None:
        if self.sql is None:
            conn.execute(insert(decisions), [dict(zip(FIELDS, row, strict=True)) for row in rows])
            return
        at = self._at
        if at is not None:
            rows = [(at(row[0]), *row[1:]) for row in rows]
        conn.exec_driver_sql(self.sql, rows)


class AuditWriter:
    def __init__(
        self,
        engine: Engine,
        *,
        max_queue: int = 50_000,
        batch: int = 1_000,
        gather_seconds: float = 0.1,
    ) -> None:
        self._engine = engine
        self._insert = _DriverInsert(engine)
        self._queue: asyncio.Queue[Row] = asyncio.Queue(max_queue)
        self._batch = batch
        self._gather = gather_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-audit-writer")

    async def record(self, row: dict[str, Any]) -> None:
        await self.record_row(tuple(row.get(field) for field in FIELDS))

    async def record_row(self, entry: Row) -> None:
        """One row, its values in the order of FIELDS."""
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            await self._queue.put(entry)

    def _write(self, rows: list[Row]) -> None:
        with self._engine.begin() as conn:
            self._insert(conn, rows)

    async def _run(self) -> None:
        while True:
            rows = [await self._queue.get()]
            await self._gather_more(rows)
            try:
                await asyncio.to_thread(self._write, rows)
            except Exception as exc:
                # Kept for the next attempt rather than lost; logged by type only.
                log.error("audit write failed; retrying", extra={"error_type": type(exc).__name__})
                for row in rows:
                    await self._queue.put(row)
                await asyncio.sleep(1)
            finally:
                for _ in rows:
                    self._queue.task_done()

    async def _gather_more(self, rows: list[Row]) -> None:
        """Add what arrives within the gather interval, up to one batch (one
        timer per batch, not one per row)."""
        if self._gather > 0:
            await asyncio.sleep(self._gather)
        while len(rows) < self._batch and not self._queue.empty():
            rows.append(self._queue.get_nowait())

    async def flush(self) -> None:
        """Wait until every queued row is written (used at shutdown and in tests)."""
        await self._queue.join()

    async def aclose(self, timeout: float = 5.0) -> None:
        try:
            await asyncio.wait_for(self.flush(), timeout)
        except TimeoutError:
            log.error("audit rows not written at shutdown", extra={"count": self._queue.qsize()})
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# Served to anyone without a decision: liveness, readiness, the issuer's public
# keys and the API documents. Only their refusals (a 4xx) are decisions (the
# front, `gateway.front`, writes the rows of the gateway's own endpoints).
OPEN_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/readyz/services",
        "/.well-known/jwks.json",
        "/openapi.json",
        "/docs",
        "/redoc",
    }
)
# The documentation pages' scripts, style sheet and icon.
OPEN_PREFIXES = ("/docs/assets/",)
