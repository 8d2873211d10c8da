"""An agency's warning lead times: how many days before a certificate lapses
its holder is warned."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Path

from services.certs.access import WarningsReader, WarningsWriter
from services.certs.schemas import LeadTimesIn, LeadTimesOut
from services.certs.service import lead_times
from services.common.db import SessionDep, WriteSessionDep

router = APIRouter(prefix="/agencies", tags=["warnings"])

AgencyCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,16}$", description="The agency's code")]


@router.get(
    "/{agency_code}/warning-lead-times",
    summary="An agency's warning lead times (the default when it set none)",
    response_model=LeadTimesOut,
)
def get_warning_lead_times(
    agency_code: AgencyCode, session: SessionDep, who: WarningsReader
) -> LeadTimesOut:
    return lead_times.read(session, who, agency_code)


@router.put(
    "/{agency_code}/warning-lead-times",
    summary="Set an agency's warning lead times",
    response_model=LeadTimesOut,
)
def put_warning_lead_times(
    agency_code: AgencyCode, body: LeadTimesIn, session: WriteSessionDep, who: WarningsWriter
) -> LeadTimesOut:
    return lead_times.replace(session, who, agency_code, body)
