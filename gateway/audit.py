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
import time
from collections.abc import Callable
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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.decision_notes import AUDIT_STATE_KEY
from gateway.source_ip import CLIENT_IP_KEY
from services.common.db import NAMING_CONVENTION
from services.common.request_context import current_request_id
from services.common.timestamps import UtcDateTime
from services.common.timeutil import now_utc

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
# keys and the API documents. Only their refusals (a 4xx) are decisions.
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


class DecisionAuditMiddleware:
    """One audit row for every decision, wherever the gateway makes it.

    The proxy and the auditor's query write their own rows (they know the
    subject and the route). Everything else is answered by a layer that writes
    none: the header-size and source-address checks in front, the gateway's own
    routes, and its 404 for any path that is not an operation (`//api/...`, which
    the dispatcher does not hand to the proxy, included). This layer, just inside
    the request id, writes the row for those once the answer has been sent."""

    def __init__(self, app: ASGIApp, writer: Callable[[], AuditWriter | None]) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            # An exception escaping here becomes the request id layer's 500.
            await self._record(scope, 500 if status is None else status, started)

    async def _record(self, scope: Scope, status: int, started: float) -> None:
        state = scope.get("state") or {}
        noted: dict[str, Any] = state.get(AUDIT_STATE_KEY) or {}
        if noted.get("recorded"):
            return
        path = scope["path"]
        if (path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)) and not 400 <= status < 500:
            return
        writer = self.writer()
        if writer is None:  # not started, or stopped: no request is served then
            log.error("decision not audited: the gateway is not running")
            return
        # The client address the allow-list saw, else the socket peer (when the
        # address itself was what the gateway refused).
        source = noted.get("source_ip") or state.get(CLIENT_IP_KEY)
        if source is None:
            source = (scope.get("client") or ("", 0))[0]
        route = noted.get("route") or getattr(scope.get("route"), "path", None)
        await writer.record(
            {
                "at": now_utc(),
                "request_id": current_request_id(),
                "subject": noted.get("subject"),
                "account_kind": noted.get("account_kind"),
                "source_ip": str(source)[:64],
                "method": str(scope["method"])[:16],
                "route": route,
                "decision": "allow" if status < 400 else "deny",
                "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            }
        )
