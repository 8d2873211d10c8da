"""One replica runs each job each day.

PostgreSQL: `pg_try_advisory_lock` on a key derived from the job name, held
on its own connection while the job runs, plus the `job_runs` row that says
the day's run is done. SQLite (one host): the `job_runs` row alone, claimed
inside a BEGIN IMMEDIATE transaction, with its unique (job, day) key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from services.attendance.models import JobRun
from services.common.timeutil import now_utc

# A run still marked running after this long is taken to have died.
STALE_AFTER = timedelta(hours=2)


def advisory_key(job: str) -> int:
    digest = hashlib.sha256(f"renshi.attendance.{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass
class Claim:
    acquired: bool
    reason: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


def _claim_row(engine: Engine, job: str, day: date, force: bool) -> Claim:
    with Session(engine) as session:
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        row = session.exec(
            select(JobRun).where(col(JobRun.job) == job, col(JobRun.day) == day)
        ).first()
        now = now_utc()
        if row is not None:
            if row.status == "done" and not force:
                return Claim(False, "already ran today", dict(row.summary or {}))
            if row.status == "running" and now - row.started_at < STALE_AFTER:
                return Claim(False, "running elsewhere")
            row.status, row.started_at, row.finished_at = "running", now, None
        else:
            row = JobRun(job=job, day=day, status="running", started_at=now)
        session.add(row)
        session.commit()
    return Claim(True)


def _finish_row(engine: Engine, job: str, day: date, status: str, summary: dict[str, Any]) -> None:
    with Session(engine) as session:
        row = session.exec(
            select(JobRun).where(col(JobRun.job) == job, col(JobRun.day) == day)
        ).one()
        row.status = status
        row.finished_at = now_utc()
        row.summary = summary
        session.add(row)
        session.commit()


@contextmanager
def _advisory(engine: Engine, job: str) -> Iterator[bool]:
    if engine.dialect.name != "postgresql":
        yield True
        return
    conn: Connection = engine.connect()
    try:
        key = advisory_key(job)
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
    finally:
        conn.close()


@contextmanager
def claim(engine: Engine, job: str, day: date, *, force: bool = False) -> Iterator[Claim]:
    """Yield a Claim; when `acquired`, the caller runs the job and fills `summary`."""
    with _advisory(engine, job) as locked:
        if not locked:
            yield Claim(False, "running elsewhere")
            return
        result = _claim_row(engine, job, day, force)
        if not result.acquired:
            yield result
            return
        try:
            yield result
        except BaseException:
            _finish_row(engine, job, day, "failed", {})
            raise
        _finish_row(engine, job, day, "done", result.summary)
