"""The roster: person facts imported from the directory (agency, unit,
supervisor, regime, status, hourly rate), so that rules and jobs never need a
per-person call to another service."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from services.attendance.access import person_in_reach, reach
from services.attendance.api.deps import (
    RECORDS_READ,
    RecordsReader,
    RosterImporter,
)
from services.attendance.api.imports import IMPORT_BODY, Tally, file_problem, read_import
from services.attendance.imports import FileError, ImportFormat, parse_rows
from services.attendance.models import personal_data_reads
from services.attendance.schemas import ImportResult, RosterPersonOut, RosterRow
from services.attendance.service import comptime
from services.attendance.store import roster
from services.attendance.store.locking import begin_immediate
from services.common.audit import record_personal_data_read
from services.common.db import SessionDep, WriteSessionDep
from services.common.principal import Principal
from services.common.timeutil import today_taipei

router = APIRouter(prefix="/roster", tags=["roster"])


def _apply(
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
    outer = session.begin_nested()
    source = f"import:{principal.sub}"[:100]
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
    else:
        outer.commit()
    return tally.result(dry_run)


@router.post(
    "/import",
    summary="Import roster rows (CSV or JSON lines), idempotent by person id",
    response_model=ImportResult,
    openapi_extra=IMPORT_BODY,
)
async def import_roster(
    request: Request,
    session: SessionDep,
    principal: RosterImporter,
    format: Annotated[ImportFormat | None, Query()] = None,
    dry_run: bool = False,
) -> ImportResult:
    body, fmt = await read_import(request, format)
    return await run_in_threadpool(_apply, session, principal, body, fmt, dry_run)


@router.get(
    "/{person_id}",
    summary="One person's roster facts",
    response_model=RosterPersonOut,
)
def get_roster_person(
    person_id: str, session: WriteSessionDep, principal: RecordsReader
) -> RosterPersonOut:
    person = person_in_reach(session, reach(session, principal, RECORDS_READ), person_id)
    record_personal_data_read(
        session, personal_data_reads, principal, [person.person_id], "roster", "roster"
    )
    return RosterPersonOut.model_validate(person, from_attributes=True)
