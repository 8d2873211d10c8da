"""The roster: who works where, so reports count staff without records too."""

from typing import Annotated

from fastapi import APIRouter, Path

from services.common.db import SessionDep
from services.training.access import RECORDS_WRITE, RecordWriter, check_agency
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
