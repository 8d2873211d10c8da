"""Importing overtime in bulk on the kernel's import pipeline: each row checked
against the work-hour limits like one recorded by hand, a refused row failing
alone (its own savepoint). Batches, resume and dry run as the record imports
(`record_import`); a batch sees the overtime of the batches committed before it,
so the limits add up across the file, except in a dry run (its batches are
rolled back), where they add up within a batch only."""

from __future__ import annotations

from sqlmodel import Session

from services.attendance.models import RosterPerson
from services.attendance.schemas import OvertimeImportRow
from services.attendance.service import overtime
from services.attendance.service.record_import import Checked, RecordImport, problem_code
from services.attendance.store import records
from services.attendance.store.locking import lock_person
from services.common.errors import Problem
from services.common.importing.rows import RowError
from services.common.importing.runner import BatchResult

BATCH_SIZE = 500
SOURCE = "overtime"


class OvertimeImport(RecordImport[OvertimeImportRow]):
    """Overtime records, idempotent by (source, source_id)."""

    model = OvertimeImportRow

    def already_imported(self, session: Session, row: OvertimeImportRow) -> bool:
        return records.overtime_by_source(session, self.record_source, row.source_id) is not None

    def import_row(
        self,
        session: Session,
        parsed: Checked[OvertimeImportRow],
        person: RosterPerson,
        result: BatchResult,
        warnings: list[dict[str, object]],
    ) -> bool:
        row = parsed.data
        lock_person(session, person.person_id)
        try:
            # Released when the row is stored, rolled back when it is refused:
            # a refused row leaves nothing behind and the import goes on.
            with session.begin_nested():
                overtime.record(
                    session,
                    overtime.OvertimeDraft(
                        person=person,
                        day=overtime.day_of(row.day, row.starts_at),
                        starts_at=row.starts_at,
                        minutes=row.minutes,
                        is_rest_day=row.is_rest_day,
                        urgent=row.urgent,
                        assigned_by=row.assigned_by,
                        reason=row.reason,
                        compensation=row.compensation,
                        source=self.record_source,
                        source_id=row.source_id,
                    ),
                )
        except Problem as exc:
            limit = exc.extra.get("limit")
            where = f"limit:{limit}" if limit else (exc.errors[0].field if exc.errors else "")
            code = f"limit:{limit}" if limit else problem_code(exc)
            result.errors.append(
                RowError(parsed.row, where or "line", exc.detail or exc.title, code)
            )
            return False
        return True
