"""Which person holds each of these national IDs: for other services' bulk imports.

Only the directory holds the key of the national-ID hash, so a service that
receives files naming persons by national ID (training's learning-record
import) sends the numbers here and gets personnel ids back. Services reach
this route directly with an exchanged internal token carrying their caller's
principal; it is left out of the public document and has no gateway route.

A number is answered `found` only for a person within the caller's reach
(`directory:persons:match`, or `…:agency` for the agencies in scope): out of
reach reads as `not_found`, so the answer discloses no one else's existence.
The numbers themselves are never stored, logged or echoed: the read log gets
one row per call with the counts and the stated purpose.
"""

from fastapi import APIRouter

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES
from services.directory.api.deps import WRITES_OPEN_IMMEDIATE, PersonsMatcher, SettingsDep
from services.directory.schemas import PersonMatchReport, PersonMatchRequest
from services.directory.service import person_match

router = APIRouter(tags=["persons"], include_in_schema=False, dependencies=[WRITES_OPEN_IMMEDIATE])


@router.post(
    "/persons/match",
    summary="Match national IDs to personnel ids (services only)",
    response_model=PersonMatchReport,
    responses={422: PROBLEM_RESPONSES[422]},
)
def match_persons(
    session: SessionDep,
    principal: PersonsMatcher,
    settings: SettingsDep,
    body: PersonMatchRequest,
) -> PersonMatchReport:
    results = person_match.match(
        session, principal, body.national_ids, body.purpose, settings.national_id_key
    )
    return PersonMatchReport(results=results)
