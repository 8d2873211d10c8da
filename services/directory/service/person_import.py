"""Persons from an HR office's file, through the kernel's import pipeline:
idempotent by personnel id, within the importer's agency scope, a leaver's
accounts disabled in the same batch as the status change."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from services.common.importing.rows import RowError
from services.common.importing.runner import BatchResult, ImportKind
from services.directory.access import Reach
from services.directory.domain.person_rows import COLUMNS, REQUIRED_COLUMNS, PersonRow, check_person
from services.directory.models import PersonImportJob
from services.directory.store.person_batches import PersonBatches

# Rows per transaction: a batch's persons are locked while it is planned and
# written, so it stays small enough not to hold other writers up.
BATCH_SIZE = 500
SOURCE = "persons"
JOBS = PersonImportJob.__table__  # type: ignore[attr-defined]


class PersonImport(ImportKind[PersonRow]):
    required = REQUIRED_COLUMNS
    known = COLUMNS
    # It reads the batch's persons, then writes them: opened for writing, it
    # waits for other writers instead of failing.
    write_lock = True

    def __init__(self, job_id: int, *, reach: Reach, key: str, actor: str, dry_run: bool) -> None:
        self.job_id = job_id
        self.batches = PersonBatches(reach=reach, key=key, actor=actor, dry_run=dry_run)

    def check(self, row: int, values: dict[str, str]) -> PersonRow | list[RowError]:
        return check_person(row, values)

    def apply_batch(self, session: Session, rows: list[PersonRow]) -> BatchResult:
        result, disabled = self.batches.apply(session, rows)
        if disabled:
            session.execute(
                update(JOBS)
                .where(JOBS.c.id == self.job_id)
                .values(accounts_disabled=JOBS.c.accounts_disabled + disabled)
            )
        return result
