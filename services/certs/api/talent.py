"""A person's AI talent profile: roles by duties with their history, the
learning-path stage, and the readiness view."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status

from services.certs.access import AgencyTalentReader, TalentReader, TalentWriter
from services.certs.api.deps import LiveTrainingDep
from services.certs.clients import Peers, peer_clients
from services.certs.service import stage_rules, talent_profile, talent_roles
from services.certs.talent_schemas import (
    ReadinessOut,
    StageOut,
    StageRulesIn,
    StageRulesOut,
    TalentRoleAssign,
    TalentRoleEnd,
    TalentRoleOut,
)
from services.common.bounds_dates import BoundedDate
from services.common.db import SessionDep, WriteSessionDep
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_RESPONSES
from services.common.ids import Id
from services.common.pagination import Page, whole_page
from services.common.timeutil import today_taipei

router = APIRouter(prefix="/persons", tags=["talent"])

PersonId = Annotated[
    str, Path(min_length=1, max_length=64, description="The person's personnel id")
]
OnDay = Annotated[
    BoundedDate | None,
    Query(description="Certificates valid on this Taipei day count; default today in Taipei"),
]
PeersDep = Annotated[Peers, Depends(peer_clients)]
DIRECTORY_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        **PROBLEM_RESPONSES[500],
        "description": "The directory was needed to confirm the person and is unavailable",
    }
}


# Reads by someone other than the person write personal-data read rows, so they
# take the write session (services/speakers/api/lecturers.py says why).
@router.get(
    "/{person_id}/talent-roles",
    summary="A person's AI-talent roles, ended ones included, with who, when and why",
    response_model=Page[TalentRoleOut],
)
def list_talent_roles(
    person_id: PersonId, session: WriteSessionDep, who: TalentReader
) -> Page[TalentRoleOut]:
    return whole_page(talent_roles.history(session, who, person_id))


@router.post(
    "/{person_id}/talent-roles",
    summary="Assign an AI-talent role by the person's duties (HR officer of their agency)",
    description=(
        "Assigns one of `policy`, `application`, `development`, `research` (a person may "
        "hold several) with the reason, by the person's actual duties. The person is "
        "looked up in the directory on the caller's behalf: one it does not know, or of "
        "an agency outside the caller's scope, is not found. A role the person holds "
        "already is refused with 409 `role_already_live`."
    ),
    response_model=TalentRoleOut,
    status_code=status.HTTP_201_CREATED,
    responses={**CONFLICT_RESPONSES, **DIRECTORY_UNAVAILABLE},
)
def assign_talent_role(
    person_id: PersonId,
    body: TalentRoleAssign,
    session: WriteSessionDep,
    who: TalentWriter,
    peers: PeersDep,
) -> TalentRoleOut:
    return talent_roles.assign(session, who, peers, person_id, body)


@router.post(
    "/{person_id}/talent-roles/{assignment_id}/end",
    summary="End an AI-talent role, with the reason; the assignment stays in the history",
    response_model=TalentRoleOut,
    responses=CONFLICT_RESPONSES,
)
def end_talent_role(
    person_id: PersonId,
    assignment_id: Id,
    body: TalentRoleEnd,
    session: WriteSessionDep,
    who: TalentWriter,
) -> TalentRoleOut:
    return talent_roles.end(session, who, person_id, assignment_id, body)


@router.get(
    "/{person_id}/talent-stage",
    summary="A person's learning-path stage (entry, advanced, hands-on) with the reason",
    description=(
        "The stage the default rules (`STAGE_RULES`) give from the person's verified "
        "certificates valid on `on` and the stored copy of their AI hours of that "
        "year (the nightly pull's), with the reason of the row that matched."
    ),
    response_model=StageOut,
)
def get_talent_stage(
    person_id: PersonId, session: WriteSessionDep, who: TalentReader, on: OnDay = None
) -> StageOut:
    return talent_profile.stage(session, who, person_id, on or today_taipei())


def readiness_hours(
    person_id: PersonId,
    session: SessionDep,
    who: TalentReader,
    training: LiveTrainingDep,
    on: OnDay = None,
) -> talent_profile.LiveHours:
    """Training asked live, resolved before the view's write session: a slow
    training holds no writer back."""
    return talent_profile.ask_training(
        session, who, training, person_id, (on or today_taipei()).year
    )


@router.get(
    "/{person_id}/readiness",
    summary="A person's AI readiness: valid certificates and AI hours asked live",
    description=(
        "Verified certificates valid on `on`, and the person's AI hours of that year asked "
        "from training at once (a 2-second timeout). When training cannot answer, the "
        "answer is still 200: `ai_hours_source` is `stored` with the nightly pull's copy "
        "and its `ai_hours_pulled_at`, or `unavailable` with `ai_hours` null, and "
        "`ai_hours_unavailable_reason` says why."
    ),
    response_model=ReadinessOut,
)
def get_readiness(
    person_id: PersonId,
    live: Annotated[talent_profile.LiveHours, Depends(readiness_hours)],
    session: WriteSessionDep,
    who: TalentReader,
    on: OnDay = None,
) -> ReadinessOut:
    return talent_profile.readiness(session, who, live, person_id, on or today_taipei())


agencies = APIRouter(prefix="/agencies", tags=["talent"])

AgencyCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,16}$", description="The agency's code")]


@agencies.get(
    "/{agency_code}/talent-stage-rules",
    summary="The learning-path stage rules an agency's persons are ranked by",
    description="The agency's own rows, or the default `STAGE_RULES` (`default` true).",
    response_model=StageRulesOut,
)
def get_talent_stage_rules(
    agency_code: AgencyCode, session: SessionDep, who: AgencyTalentReader
) -> StageRulesOut:
    return stage_rules.read(session, who, agency_code)


@agencies.put(
    "/{agency_code}/talent-stage-rules",
    summary="Set an agency's own learning-path stage rules",
    description=(
        "Rows read top to bottom, the first whose every condition holds giving the stage. "
        "Refused with 422 naming each row at fault: rows not running from the highest "
        "stage down, a last row that asks for something, advanced hours above the total."
    ),
    response_model=StageRulesOut,
)
def put_talent_stage_rules(
    agency_code: AgencyCode, body: StageRulesIn, session: WriteSessionDep, who: TalentWriter
) -> StageRulesOut:
    return stage_rules.replace(session, who, agency_code, body)
