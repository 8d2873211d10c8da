"""The roster: who works where, so reports count staff without records too."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES
from services.training.access import RecordWriter
from services.training.clients import Peers, peer_clients
from services.training.schemas.common import AgencyCode
from services.training.schemas.roster import RosterResult, StaffList
from services.training.service import roster

router = APIRouter(prefix="/roster", tags=["roster"])


@router.put(
    "/agencies/{agency_code}",
    summary="Replace an agency's staff list (person and unit), as the directory has it",
    response_model=RosterResult,
)
def put_agency_roster(
    agency_code: Annotated[AgencyCode, Path()],
    body: StaffList,
    session: SessionDep,
    who: RecordWriter,
) -> RosterResult:
    staff = {m.person_id: m.unit_id for m in body.persons}
    return roster.replace(session, who, agency_code, staff)


@router.post(
    "/agencies/{agency_code}/sync",
    summary="Replace an agency's staff list with the persons the directory has in service",
    description=(
        "Reads every page of the directory's persons of the agency with status active, "
        "on the caller's behalf (so the caller also needs the directory's "
        "`directory:persons:read` for the agency), then replaces the roster exactly as "
        "`PUT` does. Nothing changes when the directory cannot be read to the end (503)."
    ),
    response_model=RosterResult,
    responses={
        503: {
            **PROBLEM_RESPONSES[500],
            "description": "The directory is unavailable; the roster is unchanged",
        }
    },
)
def sync_agency_roster(
    agency_code: Annotated[AgencyCode, Path()],
    session: SessionDep,
    who: RecordWriter,
    peers: Annotated[Peers, Depends(peer_clients)],
) -> RosterResult:
    return roster.sync_for(session, who, peers, agency_code)
