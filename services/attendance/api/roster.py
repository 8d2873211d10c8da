"""The roster: person facts imported from the directory (agency, unit,
supervisor, regime, status, hourly rate), so that rules and jobs never need a
per-person call to another service."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from services.attendance.api.deps import RecordsReader, RosterImporter
from services.attendance.api.imports import IMPORT_BODY, read_import
from services.attendance.imports import ImportFormat
from services.attendance.schemas import ImportResult, RosterPersonOut
from services.attendance.service import roster
from services.attendance.service.roster_import import import_roster as run_roster_import
from services.common.db import SessionDep, WriteSessionDep

router = APIRouter(prefix="/roster", tags=["roster"])


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
    return await run_in_threadpool(run_roster_import, session, principal, body, fmt, dry_run)


@router.get(
    "/{person_id}",
    summary="One person's roster facts",
    response_model=RosterPersonOut,
)
def get_roster_person(
    person_id: str, session: WriteSessionDep, principal: RecordsReader
) -> RosterPersonOut:
    person = roster.read_person(session, principal, person_id)
    return RosterPersonOut.model_validate(person, from_attributes=True)
