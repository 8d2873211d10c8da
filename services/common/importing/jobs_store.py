"""Queries on a service's import jobs and their row errors (tables from `model`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Table, insert, select
from sqlmodel import Session, col

from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.importing.rows import RowError
from services.common.pagination import PageParams, encode_cursor

J = TypeVar("J", bound=StoredImportJob)
E = TypeVar("E", bound=StoredImportError)


def readable_by(job: StoredImportJob, actor: str, agencies: Iterable[str]) -> bool:
    """Who may read a job and its errors: the account that started it, or an
    importer whose agencies cover all of the job's. A job kept no agencies for
    is its starter's alone (an empty scope would otherwise be covered by anyone)."""
    if job.created_by == actor:
        return True
    return bool(job.agency_scope) and set(job.agency_scope) <= set(agencies)


@dataclass(frozen=True)
class JobTables(Generic[J, E]):
    """A service's two import tables."""

    job: type[J]
    error: type[E]

    @property
    def jobs(self) -> Table:
        return self.job.__table__  # type: ignore[attr-defined,no-any-return]

    @property
    def errors(self) -> Table:
        return self.error.__table__  # type: ignore[attr-defined,no-any-return]

    def get(self, session: Session, job_id: int) -> J | None:
        return session.get(self.job, job_id)

    def by_key(self, session: Session, source: str, key: str, *, lock: bool = False) -> J | None:
        stmt = select(self.job).where(
            col(self.job.source) == source, col(self.job.idempotency_key) == key
        )
        if lock:
            stmt = stmt.with_for_update()
        return session.scalars(stmt).first()

    def add_errors(self, session: Session, job_id: int, errors: Sequence[RowError]) -> None:
        if errors:
            session.execute(
                insert(self.errors),
                [
                    {
                        "job_id": job_id,
                        "row": e.row,
                        "field": e.field[:64],
                        "reason": e.reason[:300],
                        "code": e.code[:32],
                    }
                    for e in errors
                ],
            )

    def first_errors(self, session: Session, job_id: int, limit: int) -> list[E]:
        errors = self.errors
        return list(
            session.scalars(
                select(self.error)
                .where(errors.c.job_id == job_id)
                .order_by(errors.c.row, errors.c.id)
                .limit(limit)
            )
        )

    def iter_errors(self, session: Session, job_id: int, chunk: int = 1000) -> Iterator[E]:
        """Every error of a job in row order, fetched a chunk at a time. Id order is
        row order: each batch stores its errors sorted, and batches go in order."""
        errors = self.errors
        last = 0
        while True:
            rows = list(
                session.scalars(
                    select(self.error)
                    .where(errors.c.job_id == job_id, errors.c.id > last)
                    .order_by(errors.c.id)
                    .limit(chunk)
                )
            )
            yield from rows
            if len(rows) < chunk:
                return
            last = rows[-1].id or 0

    def readable_page(
        self,
        session: Session,
        sources: Sequence[str],
        status: str | None,
        actor: str,
        agencies: Iterable[str],
        params: PageParams,
        chunk: int = 200,
    ) -> tuple[list[J], str | None]:
        """A page of the jobs of `sources` (newest first) the caller may read
        (`readable_by`), and the next page's cursor. Who may read a job is a
        subset test on a JSON list, which no index answers on both databases, so
        jobs are read a chunk at a time and sieved; a service keeps few jobs."""
        agencies = frozenset(agencies)
        jobs = self.jobs
        before = params.after(int)
        kept: list[J] = []
        while len(kept) <= params.limit:
            stmt = select(self.job).where(col(self.job.source).in_(list(sources)))
            if status is not None:
                stmt = stmt.where(col(self.job.status) == status)
            if before is not None:
                stmt = stmt.where(jobs.c.id < before)
            rows = list(session.scalars(stmt.order_by(jobs.c.id.desc()).limit(chunk)))
            kept.extend(j for j in rows if readable_by(j, actor, agencies))
            if len(rows) < chunk:
                break
            before = rows[-1].id
        if len(kept) <= params.limit:
            return kept, None
        kept = kept[: params.limit]
        return kept, encode_cursor([kept[-1].id])
