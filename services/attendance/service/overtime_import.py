"""Importing overtime in bulk: each row checked against the work-hour limits
like one recorded by hand, a refused row failing alone (its own savepoint)."""

from __future__ import annotations

from sqlmodel import Session

from services.attendance.imports import ImportFormat, ParsedRow
from services.attendance.models import RosterPerson
from services.attendance.schemas import ImportResult, OvertimeImportRow
from services.attendance.service import overtime
from services.attendance.service.record_import import run_import
from services.attendance.service.tally import Tally
from services.attendance.store import records
from services.attendance.store.locking import lock_person
from services.common.errors import Problem
from services.common.principal import Principal


def import_overtime(
    session: Session,
    principal: Principal,
    body: bytes,
    fmt: ImportFormat,
    source: str,
    dry_run: bool,
) -> ImportResult:
    """Overtime records, idempotent by (source, source_id)."""

    def write(parsed: ParsedRow[OvertimeImportRow], person: RosterPerson, tally: Tally) -> bool:
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
                        source=source,
                        source_id=row.source_id,
                    ),
                )
        except Problem as exc:
            limit = exc.extra.get("limit")
            where = f"limit:{limit}" if limit else (exc.errors[0].field if exc.errors else "")
            tally.fail(parsed.row, where, exc.detail or exc.title)
            return False
        return True

    return run_import(
        session,
        principal,
        body,
        fmt,
        OvertimeImportRow,
        dry_run,
        lambda row: records.overtime_by_source(session, source, row.source_id) is not None,
        write,
    )
