"""One replica runs each job: the claim every service's scheduled jobs take.

PostgreSQL: `pg_try_advisory_lock` on a key derived from the service and job
name, held on its own connection while the job runs, plus the service's
`job_runs` row that says the day's run is done. SQLite (one host): the row
alone, claimed inside a BEGIN IMMEDIATE transaction, with its unique (job, day)
key. Each service keeps the rows in a `job_runs` table of its own database, of
one shape (job, day unique; status, started_at, finished_at, summary).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from services.common.timeutil import now_utc

# A run still marked running after this long is taken to have died.
STALE_AFTER = timedelta(hours=2)


def advisory_key(namespace: str, job: str) -> int:
    digest = hashlib.sha256(f"renshi.{namespace}.{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass
class Claim:
    acquired: bool
    reason: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


def _claim_row(engine: Engine, table: Table, job: str, day: date, force: bool) -> Claim:
    # One transaction, committed when the block ends (returns included): the row
    # is read and claimed under the write lock (BEGIN IMMEDIATE on SQLite).
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        row = conn.execute(
            select(table.c.status, table.c.started_at, table.c.summary).where(
                table.c.job == job, table.c.day == day
            )
        ).first()
        now = now_utc()
        if row is not None:
            if row.status == "done" and not force:
                return Claim(False, "already ran today", dict(row.summary or {}))
            if row.status == "running" and now - row.started_at < STALE_AFTER:
                return Claim(False, "running elsewhere")
            conn.execute(
                update(table)
                .where(table.c.job == job, table.c.day == day)
                .values(status="running", started_at=now, finished_at=None)
            )
        else:
            conn.execute(
                insert(table).values(job=job, day=day, status="running", started_at=now, summary={})
            )
    return Claim(True)


def _finish_row(
    engine: Engine, table: Table, job: str, day: date, status: str, summary: dict[str, Any]
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.job == job, table.c.day == day)
            .values(status=status, finished_at=now_utc(), summary=summary)
        )


@contextmanager
def _advisory(engine: Engine, namespace: str, job: str) -> Iterator[bool]:
    if engine.dialect.name != "postgresql":
        yield True
        return
    # Autocommit: the lock belongs to the connection's session, not to a
    # transaction, so none is left open while the job runs.
    conn: Connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        key = advisory_key(namespace, job)
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.close()


@contextmanager
def claim(
    engine: Engine, table: Table, namespace: str, job: str, day: date, *, force: bool = False
) -> Iterator[Claim]:
    """Yield a Claim; when `acquired`, the caller runs the job and fills `summary`.
    `force` runs again a job already done that day (never one running elsewhere)."""
    with _advisory(engine, namespace, job) as locked:
        if not locked:
            yield Claim(False, "running elsewhere")
            return
        result = _claim_row(engine, table, job, day, force)
        if not result.acquired:
            yield result
            return
        try:
            yield result
        except BaseException:
            _finish_row(engine, table, job, day, "failed", {})
            raise
        _finish_row(engine, table, job, day, "done", result.summary)


def last_done(engine: Engine, table: Table, job: str, *, before: date) -> date | None:
    """The latest day before `before` whose run of `job` completed."""
    with engine.connect() as conn:
        day = conn.execute(
            select(func.max(table.c.day)).where(
                table.c.job == job, table.c.status == "done", table.c.day < before
            )
        ).scalar()
    return day if isinstance(day, date) or day is None else date.fromisoformat(str(day))


def record_done(engine: Engine, table: Table, job: str, day: date, summary: dict[str, Any]) -> None:
    """Mark `job`'s run for `day` done, by a run that covered it (a catch-up),
    whether or not the day has a row yet."""
    conn_options = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with conn_options as conn, conn.begin():
        now = now_utc()
        changed = conn.execute(
            update(table)
            .where(table.c.job == job, table.c.day == day)
            .values(status="done", finished_at=now, summary=summary)
        ).rowcount
        if not changed:
            conn.execute(
                insert(table).values(
                    job=job,
                    day=day,
                    status="done",
                    started_at=now,
                    finished_at=now,
                    summary=summary,
                )
            )
