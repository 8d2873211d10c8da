"""Persons (公務人員): scoped reads, audited when they are someone else's, and writes."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import true
from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.db import SessionDep
from services.common.errors import (
    CONFLICT_RESPONSES,
    Conflict,
    FieldError,
    Invalid,
    NotFound,
)
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.common.principal import Principal
from services.common.reach import check_agency, outside
from services.common.timeutil import now_utc, today_taipei
from services.directory.access import reach
from services.directory.api.deps import (
    OPEN_FOR_WRITING,
    PERSONS_READ,
    PERSONS_ROSTER,
    PERSONS_WRITE,
    WRITES_OPEN_IMMEDIATE,
    PersonsReader,
    PersonsWriter,
    RosterReader,
    SettingsDep,
)
from services.directory.domain import national_id
from services.directory.domain.review_rules import GONE
from services.directory.models import Person, personal_data_reads
from services.directory.schemas import (
    AgencyCode,
    PersonCreate,
    PersonOut,
    PersonStatus,
    PersonSummary,
    PersonUpdate,
    RosterEntry,
)
from services.directory.store import accounts as account_store
from services.directory.store import agencies as agency_store
from services.directory.store import persons as store

router = APIRouter(tags=["persons"], dependencies=[WRITES_OPEN_IMMEDIATE])
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


def _out(person: Person) -> PersonOut:
    return PersonOut.model_validate(person, from_attributes=True)


@router.get(
    "/persons",
    summary="List persons within reach",
    response_model=Page[PersonSummary],
    dependencies=[OPEN_FOR_WRITING],
)
def list_persons(
    session: SessionDep,
    principal: PersonsReader,
    page: PageDep,
    agency: AgencyCode | None = None,
    unit: Id | None = None,
    status: PersonStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
) -> Page[PersonSummary]:
    visible = reach(session, principal, PERSONS_READ).clause(
        agency=Person.agency_code, unit=Person.unit_id, person=Person.id
    )
    rows, cursor = store.list_persons(
        session, visible, page, agency=agency, unit=unit, status=status, q=q
    )
    record_personal_data_read(
        session, personal_data_reads, principal, [p.id for p in rows], RESOURCE, SUMMARY_FIELDS
    )
    return Page[PersonSummary](
        items=[PersonSummary.model_validate(p, from_attributes=True) for p in rows],
        next_cursor=cursor,
        limit=page.limit,
    )


@router.get(
    "/agencies/{code}/roster",
    summary="The agency's persons in service: personnel id and unit, nothing else",
    description=(
        "For a copy of the roster kept by another service (training's nightly sync): "
        "every person of the agency with status active, by personnel id, with the "
        "unit. Needs `directory:persons:roster` for the agency; an agency out of "
        "reach reads as unknown (404). Each person listed is logged as read."
    ),
    response_model=Page[RosterEntry],
    dependencies=[OPEN_FOR_WRITING],
)
def agency_roster(
    session: SessionDep,
    principal: RosterReader,
    page: PageDep,
    code: Annotated[AgencyCode, Path()],
) -> Page[RosterEntry]:
    if agency_store.get_agency(session, code) is None or not reach(
        session, principal, PERSONS_ROSTER
    ).covers(agency_code=code):
        raise NotFound("no such agency")
    # The agency is checked above; the list is the whole agency's.
    rows, cursor = store.list_persons(session, true(), page, agency=code, status="active")
    record_personal_data_read(
        session, personal_data_reads, principal, [p.id for p in rows], RESOURCE, ROSTER_FIELDS
    )
    return Page[RosterEntry](
        items=[RosterEntry(id=p.id, unit_id=p.unit_id) for p in rows],
        next_cursor=cursor,
        limit=page.limit,
    )


@router.get(
    "/persons/{person_id}",
    summary="One person",
    response_model=PersonOut,
    dependencies=[OPEN_FOR_WRITING],
)
def get_person(session: SessionDep, principal: PersonsReader, person_id: str) -> PersonOut:
    person = _reachable(session, principal, PERSONS_READ, person_id)
    record_personal_data_read(
        session, personal_data_reads, principal, [person.id], RESOURCE, FULL_FIELDS
    )
    return _out(person)


@router.post(
    "/persons",
    summary="Register a person",
    response_model=PersonOut,
    status_code=201,
    responses=CONFLICT_RESPONSES,
)
def create_person(
    session: SessionDep, principal: PersonsWriter, settings: SettingsDep, body: PersonCreate
) -> PersonOut:
    _check_target_agency(session, principal, body.agency_code)
    if store.get_person(session, body.id) is not None:
        raise Conflict("a person with this personnel id already exists")
    person = Person(**body.model_dump(exclude={"national_id"}), source=f"api:{principal.sub}"[:100])
    _check_references(session, person)
    _set_national_id(session, person, body.national_id, settings.national_id_key)
    return _out(store.save_person(session, person))


@router.patch(
    "/persons/{person_id}",
    summary="Change a person",
    response_model=PersonOut,
    responses=CONFLICT_RESPONSES,
)
def update_person(
    session: SessionDep,
    principal: PersonsWriter,
    settings: SettingsDep,
    person_id: str,
    body: PersonUpdate,
) -> PersonOut:
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
        _set_national_id(session, person, body.national_id, settings.national_id_key)
    person.source = f"api:{principal.sub}"[:100]
    person.updated_at = now_utc()
    saved = store.save_person(session, person)
    if status in GONE:
        # In the same transaction: a holder recorded as gone never keeps a usable
        # account, not even until the next sweep.
        account_store.disable_holders_who_left(session, [person.id], person.updated_at)
    return _out(saved)
