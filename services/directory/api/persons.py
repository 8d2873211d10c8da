"""Persons (公務人員): scoped reads, audited when they are someone else's, and writes."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.directory.api.deps import (
    OPEN_FOR_WRITING,
    WRITES_OPEN_IMMEDIATE,
    PersonsReader,
    PersonsWriter,
    RosterReader,
    SettingsDep,
)
from services.directory.models import Person
from services.directory.schemas import (
    AgencyCode,
    PersonCreate,
    PersonOut,
    PersonStatus,
    PersonSummary,
    PersonUpdate,
    RosterEntry,
)
from services.directory.service import persons

router = APIRouter(tags=["persons"], dependencies=[WRITES_OPEN_IMMEDIATE])


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
    rows, cursor = persons.list_persons(
        session, principal, page, agency=agency, unit=unit, status=status, q=q
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
    rows, cursor = persons.roster(session, principal, code, page)
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
    return _out(persons.read(session, principal, person_id))


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
    return _out(persons.create(session, principal, body, settings.national_id_key))


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
    return _out(persons.update(session, principal, person_id, body, settings.national_id_key))
