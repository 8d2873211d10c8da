"""Importing the roster: person facts from the directory, idempotent by person
id. A person who moves between agencies is transferred, comp time and all.

Like the record imports it runs in the request's one transaction (committed by
the request session), opened as BEGIN IMMEDIATE on SQLite, its rows written in
one savepoint that a dry run rolls back."""

from __future__ import annotations

from sqlmodel import Session

from services.attendance.imports import FileError, ImportFormat, parse_rows
from services.attendance.schemas import ImportResult, RosterRow
from services.attendance.service import comptime
from services.attendance.service.tally import Tally, file_problem
from services.attendance.store import roster
from services.attendance.store.locking import begin_immediate
from services.common.principal import Principal
from services.common.timeutil import today_taipei


def import_roster(
    session: Session, principal: Principal, body: bytes, fmt: ImportFormat, dry_run: bool
) -> ImportResult:
    tally = Tally()
    begin_immediate(session)
    try:
        rows, errors = parse_rows(body, fmt, RosterRow)
    except FileError as exc:
        raise file_problem(exc) from None
    tally.rows = len(rows) + len({e.row for e in errors})
    tally.parse_errors(errors)
    scope = set(principal.agency_scope)
    seen: set[str] = set()
    source = f"import:{principal.sub}"[:100]
    # The savepoint is released when the block ends; the request session
    # commits the transaction it belongs to.
    with session.begin_nested() as outer:
        for parsed in rows:
            row = parsed.data
            if row.person_id in seen:
                tally.fail(parsed.row, "person_id", "appears twice in this file")
                continue
            seen.add(row.person_id)
            existing = roster.get(session, row.person_id)
            # An importer of one agency never writes into, or takes staff from, another.
            if row.agency_code not in scope or (
                existing is not None and existing.agency_code not in scope
            ):
                tally.fail(parsed.row, "agency_code", "agency outside the importer's scope")
                continue
            if existing is not None and existing.agency_code != row.agency_code:
                # A move between agencies is a transfer: the comp time goes along.
                comptime.transfer(session, existing, row.agency_code, today_taipei())
            outcome = roster.upsert(session, existing, row, source)
            setattr(tally, outcome, getattr(tally, outcome) + 1)
        if dry_run:
            outer.rollback()
    return tally.result(dry_run)
