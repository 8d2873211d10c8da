"""The roster: person facts imported from the directory (agency, unit,
supervisor, regime, status, hourly rate), so that rules and jobs never need a
per-person call to another service."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from services.attendance.api.deps import RecordsReader, RosterImporter
from services.attendance.api.import_columns import ROSTER_IMPORT_DESCRIPTION
from services.attendance.api.imports import (
    ASYNC_IMPORT_BODY,
    ASYNC_IMPORT_RESPONSES,
    add_job_routes,
    portable,
    start_import,
)
from services.attendance.models import ImportJob
from services.attendance.schemas import ImportResult, RosterPersonOut
from services.attendance.service import roster, roster_import
from services.attendance.service.roster_import import RosterImport
from services.common.db import WriteSessionDep
from services.common.importing.http import (
    IDEMPOTENCY_KEY_PATTERN,
    ImportFormat,
)

router = APIRouter(prefix="/roster", tags=["roster"])


def _roster_kind(job: ImportJob) -> RosterImport:
    return RosterImport(scope=job.agency_scope, actor=job.created_by, dry_run=job.dry_run)


portable(roster_import.SOURCE, _roster_kind, roster_import.BATCH_SIZE)


@router.post(
    "/import",
    summary="Import roster rows (CSV or JSON lines), idempotent by person id",
    response_model=ImportResult,
    description=ROSTER_IMPORT_DESCRIPTION,
    responses=ASYNC_IMPORT_RESPONSES,
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def import_roster(
    request: Request,
    principal: RosterImporter,
    format: Annotated[ImportFormat | None, Query()] = None,
    dry_run: Annotated[bool, Query(description="Check and count; write nothing")] = False,
    idempotency_key: Annotated[
        str | None,
        Header(pattern=IDEMPOTENCY_KEY_PATTERN, description="Re-post with it to resume"),
    ] = None,
) -> ImportResult | Response:
    def make_kind(job: ImportJob) -> RosterImport:
        return RosterImport(scope=principal.agency_scope, actor=principal.sub, dry_run=dry_run)

    return await start_import(
        request,
        principal,
        source=roster_import.SOURCE,
        explicit_format=format,
        dry_run=dry_run,
        key=idempotency_key,
        make_kind=make_kind,
        batch_size=roster_import.BATCH_SIZE,
    )


add_job_routes(
    router,
    path="/imports",
    source=roster_import.SOURCE,
    reader=RosterImporter,
    name="roster",
    noun="roster",
    one_summary="status, counts and the first errors",
)


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
