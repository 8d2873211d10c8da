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
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    insert,
)
from sqlalchemy.engine import Engine

from services.common.db import NAMING_CONVENTION

log = logging.getLogger("renshi.gateway.audit")

metadata = MetaData(naming_convention=NAMING_CONVENTION)

decisions = Table(
    "gateway_decisions",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
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
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(max_queue)
        self._batch = batch
        self._gather = gather_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-audit-writer")

    async def record(self, row: dict[str, Any]) -> None:
        entry = {field: row.get(field) for field in FIELDS}
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            await self._queue.put(entry)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(decisions), rows)

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

    async def _gather_more(self, rows: list[dict[str, Any]]) -> None:
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
