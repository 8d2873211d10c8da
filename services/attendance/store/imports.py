"""Import jobs and their row errors: the kernel's job queries on attendance's two
tables, and the columns that are attendance's own (record source, warnings)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import Session

from services.attendance.models import MAX_IMPORT_WARNINGS, ImportJob, ImportRowError
from services.common.importing.jobs_store import JobTables

TABLES = JobTables(ImportJob, ImportRowError)
JOBS = TABLES.jobs


def add_warnings(session: Session, job_id: int, warnings: list[dict[str, object]]) -> None:
    """Append a batch's rule warnings to the job's, up to `MAX_IMPORT_WARNINGS`,
    in the batch's transaction."""
    if not warnings:
        return
    current = session.execute(select(JOBS.c.warnings).where(JOBS.c.id == job_id)).scalar_one()
    room = MAX_IMPORT_WARNINGS - len(current)
    if room > 0:
        session.execute(
            update(JOBS).where(JOBS.c.id == job_id).values(warnings=[*current, *warnings[:room]])
        )


def set_record_source(session: Session, job_id: int, record_source: str) -> None:
    """File a new job's record source (a resumed job has it already)."""
    session.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.record_source.is_(None))
        .values(record_source=record_source)
    )
