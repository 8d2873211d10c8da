"""One replica runs each certs job each day: the kernel's claim
(services.common.job_runs) on the certs service's own `job_runs` table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from services.certs.models import JobRun
from services.common import job_runs
from services.common.job_runs import STALE_AFTER, Claim

__all__ = ["STALE_AFTER", "Claim", "advisory_key", "claim", "last_done", "record_done"]

NAMESPACE = "certs"
TABLE: Table = JobRun.__table__  # type: ignore[attr-defined]


def advisory_key(job: str) -> int:
    return job_runs.advisory_key(NAMESPACE, job)


@contextmanager
def claim(engine: Engine, job: str, day: date, *, force: bool = False) -> Iterator[Claim]:
    """Yield a Claim; when `acquired`, the caller runs the job and fills `summary`."""
    with job_runs.claim(engine, TABLE, NAMESPACE, job, day, force=force) as result:
        yield result


def last_done(engine: Engine, job: str, *, before: date) -> date | None:
    """The latest day before `before` whose run of `job` completed."""
    return job_runs.last_done(engine, TABLE, job, before=before)


def record_done(engine: Engine, job: str, day: date, summary: dict[str, Any]) -> None:
    """Mark the run of `job` for `day` done by a run that covered it."""
    job_runs.record_done(engine, TABLE, job, day, summary)
