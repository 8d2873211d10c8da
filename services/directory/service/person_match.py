"""Which person holds each of these national IDs: the match for other services'
bulk imports (training's learning-record import sends numbers, gets personnel ids).

A number is answered `found` only for a person within the caller's reach
(`directory:persons:match`, or `…:agency` for the agencies in scope): out of
reach reads as `not_found`, so the answer discloses no one else's existence.
The numbers themselves are never stored, logged or echoed: the read log gets
one row per call with the counts and the stated purpose."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.principal import Principal
from services.directory.access import PERSONS_MATCH, reach
from services.directory.domain import national_id
from services.directory.models import Person, personal_data_reads
from services.directory.schemas import PersonMatch
from services.directory.store import persons as store

RESOURCE = "directory:persons:match"
# The read log's subject column names one person; a match reads many, unnamed.
BATCH_SUBJECT = "*"


def match_within(
    session: Session, national_ids: list[str], visible: ColumnElement[bool], key: str
) -> tuple[list[PersonMatch], int, int]:
    """One answer per number, in order: invalid (with the rule broken), found
    (with the personnel id, for a person `visible` selects) or not_found; with
    the counts found and invalid. `key` keys the numbers' hash."""
    results: list[PersonMatch] = []
    wanted: dict[int, str] = {}  # index -> keyed hash
    for index, raw in enumerate(national_ids):
        try:
            number = national_id.validate(raw)
        except national_id.InvalidNationalId as exc:
            # The reason names the rule broken, never the number.
            results.append(PersonMatch(index=index, status="invalid", reason=str(exc)))
            continue
        wanted[index] = national_id.keyed_hash(number, key)
        results.append(PersonMatch(index=index, status="not_found"))
    holders = store.holders_of_hashes(session, wanted.values(), visible)
    found = 0
    for index, digest in wanted.items():
        person_id = holders.get(digest)
        if person_id is not None:
            results[index] = PersonMatch(index=index, status="found", person_id=person_id)
            found += 1
    return results, found, len(national_ids) - len(wanted)


def match(
    session: Session, principal: Principal, national_ids: list[str], purpose: str, key: str
) -> list[PersonMatch]:
    """One answer per number, in order, within the caller's reach; `key` keys the
    numbers' hash."""
    # `require` admits the unscoped permission or `…:agency` only: no unit or self.
    visible = reach(session, principal, PERSONS_MATCH).clause(agency=Person.agency_code)
    results, found, invalid = match_within(session, national_ids, visible, key)
    record_personal_data_read(
        session,
        personal_data_reads,
        principal,
        [BATCH_SUBJECT],
        RESOURCE,
        f"person_id;count={len(national_ids)};found={found};invalid={invalid};purpose={purpose}",
    )
    return results
