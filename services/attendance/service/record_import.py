"""Importing clocked days in bulk, and the loop the record imports share.

An import runs in the request's one transaction (the request session commits
it, or rolls it back on an error), opened as BEGIN IMMEDIATE on SQLite so that
its reads and writes are not interleaved with another writer. Its rows are
written inside one savepoint, rolled back on a dry run so nothing is kept."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from services.attendance.imports import FileError, ImportFormat, M, ParsedRow, parse_rows
from services.attendance.models import RosterPerson
from services.attendance.schemas import AttendanceImportRow, ImportResult
from services.attendance.service import overtime
from services.attendance.service.tally import Tally, file_problem
from services.attendance.store import records, roster
from services.attendance.store.locking import begin_immediate
from services.common.errors import Problem
from services.common.principal import Principal


def _person_for_import(
    session: Session, principal: Principal, person_id: str
) -> RosterPerson | None:
    person = roster.get(session, person_id)
    if person is None or person.agency_code not in principal.agency_scope:
        return None
    return person


def run_import(
    session: Session,
    principal: Principal,
    body: bytes,
    fmt: ImportFormat,
    model: type[M],
    dry_run: bool,
    already_imported: Callable[[M], bool],
    import_row: Callable[[ParsedRow[M], RosterPerson, Tally], bool],
) -> ImportResult:
    """The loop both record imports share: parse every row, skip what the source
    already delivered, check the person is the importer's, let `import_row`
    write it (True when written), and keep nothing on a dry run."""
    begin_immediate(session)
    try:
        rows, errors = parse_rows(body, fmt, model)
    except FileError as exc:
        raise file_problem(exc) from None
    tally = Tally(rows=len(rows) + len({e.row for e in errors}))
    tally.parse_errors(errors)
    # The savepoint is released when the block ends; the request session
    # commits the transaction it belongs to.
    with session.begin_nested() as outer:
        for parsed in rows:
            if already_imported(parsed.data):
                tally.unchanged += 1
                continue
            person = _person_for_import(session, principal, parsed.data.person_id)  # type: ignore[attr-defined]
            if person is None:
                tally.fail(parsed.row, "person_id", "not in the roster of the importer's agencies")
                continue
            if import_row(parsed, person, tally):
                tally.created += 1
        session.flush()
        if dry_run:
            outer.rollback()
    return tally.result(dry_run)


def import_attendance(
    session: Session,
    principal: Principal,
    body: bytes,
    fmt: ImportFormat,
    source: str,
    dry_run: bool,
) -> ImportResult:
    """Clocked days, idempotent by (source, source_id); a day that leaves too
    short a rest is kept, with a warning on its row."""

    def write(parsed: ParsedRow[AttendanceImportRow], person: RosterPerson, tally: Tally) -> bool:
        row = parsed.data
        try:
            record = overtime.clocked_record(
                person,
                day=row.day,
                clock_in=row.clock_in,
                clock_out=row.clock_out,
                normal=row.normal_minutes,
                is_rest_day=row.is_rest_day,
                source=source,
                source_id=row.source_id,
            )
        except Problem as exc:
            tally.fail(parsed.row, "clock_out", exc.detail or exc.title)
            return False
        records.stage_attendance(session, record)
        for warning in overtime.shift_rest_warnings(session, person, row.day):
            tally.warn(parsed.row, warning)
        return True

    return run_import(
        session,
        principal,
        body,
        fmt,
        AttendanceImportRow,
        dry_run,
        lambda row: records.attendance_by_source(session, source, row.source_id) is not None,
        write,
    )
