"""Person use cases (公務人員): scoped reads, logged as read when they are
someone else's, and writes; and the match of national IDs to personnel ids for
other services' bulk imports.

A person out of the caller's reach reads as missing (404): existence is not
disclosed. National IDs are kept only as their keyed hash and masked form."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.reach import check_agency, outside
from services.common.timeutil import now_utc, today_taipei
from services.directory.access import PERSONS_READ, PERSONS_ROSTER, PERSONS_WRITE, reach
from services.directory.domain import national_id
from services.directory.domain.review_rules import GONE
from services.directory.models import Person, personal_data_reads
from services.directory.schemas import PersonCreate, PersonUpdate
from services.directory.store import accounts as account_store
from services.directory.store import agencies as agency_store
from services.directory.store import persons as store

RESOURCE = "directory:persons"
SUMMARY_FIELDS = "name,agency_code,unit_id,status"
FULL_FIELDS = "name,agency_code,unit_id,supervisor_id,status,national_id_masked,email,phone"
ROSTER_FIELDS = "agency_code,unit_id,status"


def _reachable(session: Session, principal: Principal, permission: str, person_id: str) -> Person:
    """The person, or 404 when missing or out of reach: existence is not disclosed."""
    person = store.get_person(session, person_id)
    allowed = reach(session, principal, permission)
    if person is None or not allowed.covers(
        agency_code=person.agency_code, unit_id=person.unit_id, person_id=person.id
    ):
        raise outside(allowed.scopes, "no such person")
    return person


def _check_target_agency(session: Session, principal: Principal, agency_code: str) -> None:
    check_agency(principal, PERSONS_WRITE, agency_code)
    if agency_store.get_agency(session, agency_code) is None:
        raise Invalid(
            "unknown agency",
            errors=[
                FieldError(field="body.agency_code", reason="no such agency", code="unknown_agency")
            ],
        )


def _set_national_id(session: Session, person: Person, number: str | None, key: str) -> None:
    if number is None:
        person.national_id_hmac = person.national_id_masked = None
        return
    digest, masked = national_id.protected_forms(number, key)
    owner = store.hash_owner(session, digest)
    if owner is not None and owner != person.id:
        raise Conflict("national_id: already registered to another person")
    person.national_id_hmac, person.national_id_masked = digest, masked


def _check_references(session: Session, person: Person) -> None:
    # No autoflush: the lookups must not write the changed person first, or an
    # unknown unit would surface as a foreign-key failure (500) instead of a 422.
    with session.no_autoflush:
        errors = store.reference_errors(
            session,
            person_id=person.id,
            agency_code=person.agency_code,
            unit_id=person.unit_id,
            supervisor_id=person.supervisor_id,
        )
    if errors:
        raise Invalid("unit or supervisor cannot be linked", errors=errors)


def list_persons(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    agency: str | None = None,
    unit: int | None = None,
    status: str | None = None,
    q: str | None = None,
) -> tuple[list[Person], str | None]:
    """One page of the persons within the caller's reach, each logged as read."""
    visible = reach(session, principal, PERSONS_READ).clause(
        agency=Person.agency_code, unit=Person.unit_id, person=Person.id
    )
    rows, cursor = store.list_persons(
        session, visible, params, agency=agency, unit=unit, status=status, q=q
    )
    record_personal_data_read(
        session, personal_data_reads, principal, [p.id for p in rows], RESOURCE, SUMMARY_FIELDS
    )
    return rows, cursor


def roster(
    session: Session, principal: Principal, code: str, params: PageParams
) -> tuple[list[Person], str | None]:
    """One page of the agency's persons in service; an agency out of reach reads
    as unknown (404). Each person listed is logged as read."""
    if agency_store.get_agency(session, code) is None or not reach(
        session, principal, PERSONS_ROSTER
    ).covers(agency_code=code):
        raise NotFound("no such agency")
    rows, cursor = store.agency_roster(session, code, params)
    record_personal_data_read(
        session, personal_data_reads, principal, [p.id for p in rows], RESOURCE, ROSTER_FIELDS
    )
    return rows, cursor


def read(session: Session, principal: Principal, person_id: str) -> Person:
    person = _reachable(session, principal, PERSONS_READ, person_id)
    record_personal_data_read(
        session, personal_data_reads, principal, [person.id], RESOURCE, FULL_FIELDS
    )
    return person


def create(session: Session, principal: Principal, body: PersonCreate, key: str) -> Person:
    """Register a person in an agency within the caller's reach; `key` keys the
    national ID's hash."""
    _check_target_agency(session, principal, body.agency_code)
    if store.get_person(session, body.id) is not None:
        raise Conflict("a person with this personnel id already exists")
    person = Person(**body.model_dump(exclude={"national_id"}), source=f"api:{principal.sub}"[:100])
    _check_references(session, person)
    _set_national_id(session, person, body.national_id, key)
    return store.save_person(session, person)


def update(
    session: Session, principal: Principal, person_id: str, body: PersonUpdate, key: str
) -> Person:
    """Change the fields sent. A move to another agency drops the old unit unless
    a new one is sent; a holder who leaves loses their accounts at once."""
    person = _reachable(session, principal, PERSONS_WRITE, person_id)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"national_id"})
    nulls = [k for k in ("name", "agency_code", "status") if k in changes and changes[k] is None]
    if nulls:
        raise Invalid(
            "these fields cannot be cleared",
            errors=[
                FieldError(field=f"body.{k}", reason="cannot be null", code="null") for k in nulls
            ],
        )
    new_agency = changes.get("agency_code")
    if new_agency is not None and new_agency != person.agency_code:
        _check_target_agency(session, principal, new_agency)
        if "unit_id" not in changes:
            changes["unit_id"] = None  # the old unit belongs to the old agency
    status = changes.get("status")
    if status is not None and status != person.status and "status_changed_on" not in changes:
        changes["status_changed_on"] = today_taipei()
    for name, value in changes.items():
        setattr(person, name, value)
    _check_references(session, person)
    if "national_id" in body.model_fields_set:
        _set_national_id(session, person, body.national_id, key)
    person.source = f"api:{principal.sub}"[:100]
    person.updated_at = now_utc()
    saved = store.save_person(session, person)
    if status in GONE:
        # In the same transaction: a holder recorded as gone never keeps a usable
        # account, not even until the next sweep.
        account_store.disable_holders_who_left(session, [person.id], person.updated_at)
    return saved
