"""The roster: who works where, so reports count staff without records too."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES
from services.training.access import RECORDS_WRITE, RecordWriter, check_agency
from services.training.clients import Peers, peer_clients
from services.training.roster_sync import sync_agency
from services.training.schemas.common import AgencyCode
from services.training.schemas.roster import RosterResult, StaffList
from services.training.store import roster

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
    check_agency(who, RECORDS_WRITE, agency_code)
    staff = {m.person_id: m.unit_id for m in body.persons}
    listed, removed = roster.replace_agency(session, agency_code, staff)
    return RosterResult(agency_code=agency_code, listed=listed, removed=removed)


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
    check_agency(who, RECORDS_WRITE, agency_code)
    return sync_agency(session, agency_code, peers.directory().agency_staff)
