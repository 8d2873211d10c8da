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

from services.common.audit import record_personal_data_read
from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES
from services.directory.access import reach
from services.directory.api.deps import (
    PERSONS_MATCH,
    WRITES_OPEN_IMMEDIATE,
    PersonsMatcher,
    SettingsDep,
)
from services.directory.domain import national_id
from services.directory.models import Person, personal_data_reads
from services.directory.schemas import PersonMatch, PersonMatchReport, PersonMatchRequest
from services.directory.store import persons as store

router = APIRouter(tags=["persons"], include_in_schema=False, dependencies=[WRITES_OPEN_IMMEDIATE])
RESOURCE = "directory:persons:match"
# The read log's subject column names one person; a match reads many, unnamed.
BATCH_SUBJECT = "*"


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
    key = settings.national_id_key
    results: list[PersonMatch] = []
    wanted: dict[int, str] = {}  # index -> keyed hash
    for index, raw in enumerate(body.national_ids):
        try:
            number = national_id.validate(raw)
        except national_id.InvalidNationalId as exc:
            # The reason names the rule broken, never the number.
            results.append(PersonMatch(index=index, status="invalid", reason=str(exc)))
            continue
        wanted[index] = national_id.keyed_hash(number, key)
        results.append(PersonMatch(index=index, status="not_found"))
    # `require` admits the unscoped permission or `…:agency` only: no unit or self.
    visible = reach(session, principal, PERSONS_MATCH).clause(agency=Person.agency_code)
    holders = store.holders_of_hashes(session, wanted.values(), visible)
    found = 0
    for index, digest in wanted.items():
        person_id = holders.get(digest)
        if person_id is not None:
            results[index] = PersonMatch(index=index, status="found", person_id=person_id)
            found += 1
    invalid = len(body.national_ids) - len(wanted)
    record_personal_data_read(
        session,
        personal_data_reads,
        principal,
        [BATCH_SUBJECT],
        RESOURCE,
        f"person_id;count={len(body.national_ids)};found={found};invalid={invalid}"
        f";purpose={body.purpose}",
    )
    return PersonMatchReport(results=results)
