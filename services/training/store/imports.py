"""Import jobs and their row errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import insert, select
from sqlmodel import Session, col

from services.training.imports.rows import RowError
from services.training.models import ImportJob, ImportRowError

ERRORS = ImportRowError.__table__  # type: ignore[attr-defined]


def get(session: Session, job_id: int) -> ImportJob | None:
    return session.get(ImportJob, job_id)


def by_key(session: Session, source: str, key: str, *, lock: bool = False) -> ImportJob | None:
    stmt = select(ImportJob).where(
        col(ImportJob.source) == source, col(ImportJob.idempotency_key) == key
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def add_errors(session: Session, job_id: int, errors: Sequence[RowError]) -> None:
    if errors:
        session.execute(
            insert(ERRORS),
            [
                {
                    "job_id": job_id,
                    "row": e.row,
                    "field": e.field,
                    "reason": e.reason,
                    "code": e.code,
                }
                for e in errors
            ],
        )


def first_errors(session: Session, job_id: int, limit: int) -> list[ImportRowError]:
    return list(
        session.scalars(
            select(ImportRowError)
            .where(col(ImportRowError.job_id) == job_id)
            .order_by(col(ImportRowError.row), col(ImportRowError.id))
            .limit(limit)
        )
    )


def iter_errors(session: Session, job_id: int, chunk: int = 1000) -> Iterator[ImportRowError]:
    """Every error of a job in row order, fetched a chunk at a time."""
    last = 0
    while True:
        rows = list(
            session.scalars(
                select(ImportRowError)
                .where(col(ImportRowError.job_id) == job_id, col(ImportRowError.id) > last)
                .order_by(col(ImportRowError.id))
                .limit(chunk)
            )
        )
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1].id or 0
