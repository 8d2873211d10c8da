"""Importing clocked days in bulk, and what the record imports share, on the
kernel's import pipeline (`services.common.importing`).

The file streams in and is written in batches of `BATCH_SIZE` rows, each batch
one transaction committed with the job's progress (opened for writing: BEGIN
IMMEDIATE on SQLite, since a batch reads then writes); an interrupted job is
resumed by re-posting the file with its `Idempotency-Key`. A dry run writes
each batch in a savepoint that it rolls back: nothing of the rows is kept, but
they are counted, and their errors and warnings kept with the job.

Limits of working by batch: a dry run's batch does not see the rows of the
batches before it (they were rolled back), so a rule across rows (two clocked
days next to each other, the hours a month adds up to) is checked against
what is stored plus the batch's own rows only.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from services.attendance.domain.worktime import Violation
from services.attendance.models import RosterPerson
from services.attendance.schemas import AttendanceImportRow, ImportRowWarning, RuleWarning
from services.attendance.service import overtime
from services.attendance.store import imports, records, roster
from services.common.errors import Problem
from services.common.importing.rows import RowError, present, validated
from services.common.importing.runner import BatchResult, ImportKind

M = TypeVar("M", bound=BaseModel)
# Rows per transaction: a batch holds the write lock while it is written.
BATCH_SIZE = 500
SOURCE = "attendance"


@dataclass(frozen=True, slots=True)
class Checked(Generic[M]):
    row: int
    data: M


def check_row(model: type[M], row: int, values: dict[str, str]) -> Checked[M] | list[RowError]:
    """A row by the import's row model; an empty cell is an absent value."""
    checked = validated(model, row, present(values))
    return checked if isinstance(checked, list) else Checked(row, checked)


def warning_of(row: int, violation: Violation) -> dict[str, object]:
    """A rule warning of an accepted row, as the job keeps it."""
    warning = ImportRowWarning(row=row, **RuleWarning.of(violation).model_dump())
    return warning.model_dump(mode="json")


def problem_code(exc: Problem) -> str:
    return exc.errors[0].code if exc.errors else exc.slug


class RecordImport(ImportKind[Checked[M]]):
    """The loop both record imports share: skip what the source already
    delivered, check the person is the importer's, let `import_row` write it."""

    model: type[M]
    write_lock = True

    def __init__(
        self, job_id: int, *, scope: Sequence[str], record_source: str, dry_run: bool
    ) -> None:
        self.job_id = job_id
        self.scope = frozenset(scope)
        self.record_source = record_source
        self.dry_run = dry_run

    def check(self, row: int, values: dict[str, str]) -> Checked[M] | list[RowError]:
        return check_row(self.model, row, values)

    @abstractmethod
    def already_imported(self, session: Session, row: M) -> bool: ...

    @abstractmethod
    def import_row(
        self,
        session: Session,
        parsed: Checked[M],
        person: RosterPerson,
        result: BatchResult,
        warnings: list[dict[str, object]],
    ) -> bool:
        """Write one row (True when written), or add its error to `result`."""

    def _person(self, session: Session, person_id: str) -> RosterPerson | None:
        person = roster.get(session, person_id)
        if person is None or person.agency_code not in self.scope:
            return None
        return person

    def apply_batch(self, session: Session, rows: list[Checked[M]]) -> BatchResult:
        result = BatchResult()
        warnings: list[dict[str, object]] = []
        with session.begin_nested() as outer:
            for parsed in rows:
                if self.already_imported(session, parsed.data):
                    result.unchanged += 1
                    continue
                person = self._person(session, parsed.data.person_id)  # type: ignore[attr-defined]
                if person is None:
                    reason = "not in the roster of the importer's agencies"
                    result.errors.append(RowError(parsed.row, "person_id", reason, "not_in_scope"))
                    continue
                if self.import_row(session, parsed, person, result, warnings):
                    result.inserted += 1
            session.flush()
            if self.dry_run:
                outer.rollback()
        imports.add_warnings(session, self.job_id, warnings)
        return result


class AttendanceImport(RecordImport[AttendanceImportRow]):
    """Clocked days, idempotent by (source, source_id); a day that leaves too
    short a rest is kept, with a warning on its row."""

    model = AttendanceImportRow

    def already_imported(self, session: Session, row: AttendanceImportRow) -> bool:
        return records.attendance_by_source(session, self.record_source, row.source_id) is not None

    def import_row(
        self,
        session: Session,
        parsed: Checked[AttendanceImportRow],
        person: RosterPerson,
        result: BatchResult,
        warnings: list[dict[str, object]],
    ) -> bool:
        row = parsed.data
        try:
            record = overtime.clocked_record(
                person,
                day=row.day,
                clock_in=row.clock_in,
                clock_out=row.clock_out,
                normal=row.normal_minutes,
                is_rest_day=row.is_rest_day,
                source=self.record_source,
                source_id=row.source_id,
            )
        except Problem as exc:
            reason = exc.detail or exc.title
            result.errors.append(RowError(parsed.row, "clock_out", reason, problem_code(exc)))
            return False
        records.stage_attendance(session, record)
        for warning in overtime.shift_rest_warnings(session, person, row.day):
            warnings.append(warning_of(parsed.row, warning))
        return True
