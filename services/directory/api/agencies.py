"""Agencies (機關), their hierarchy and their units."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES
from services.common.pagination import Page, PageDep
from services.directory.api.deps import (
    WRITES_OPEN_IMMEDIATE,
    AgenciesReader,
    AgenciesWriter,
    UnitsWriter,
)
from services.directory.models import Agency
from services.directory.schemas import (
    AgencyCode,
    AgencyCreate,
    AgencyOut,
    AgencySubtree,
    AgencyType,
    AgencyUpdate,
    UnitCreate,
    UnitOut,
)
from services.directory.service import agencies

router = APIRouter(tags=["agencies"], dependencies=[WRITES_OPEN_IMMEDIATE])


def _out(agency: Agency) -> AgencyOut:
    return AgencyOut.model_validate(agency, from_attributes=True)


@router.get("/agencies", summary="List agencies", response_model=Page[AgencyOut])
def list_agencies(
    session: SessionDep,
    principal: AgenciesReader,
    page: PageDep,
    type: AgencyType | None = None,
    parent: Annotated[AgencyCode | None, Query(description="Children of this agency")] = None,
) -> Page[AgencyOut]:
    rows, cursor = agencies.list_agencies(session, principal, page, type_=type, parent=parent)
    return Page[AgencyOut](items=[_out(a) for a in rows], next_cursor=cursor, limit=page.limit)


@router.get("/agencies/{code}", summary="One agency", response_model=AgencyOut)
def get_agency(session: SessionDep, principal: AgenciesReader, code: str) -> AgencyOut:
    return _out(agencies.read(session, principal, code))


@router.get(
    "/agencies/{code}/subtree",
    summary="Codes of the agency and all its descendants",
    response_model=AgencySubtree,
)
def get_agency_subtree(session: SessionDep, principal: AgenciesReader, code: str) -> AgencySubtree:
    return AgencySubtree(code=code, codes=agencies.subtree(session, principal, code))


@router.post(
    "/agencies",
    summary="Create an agency",
    response_model=AgencyOut,
    status_code=201,
    responses=CONFLICT_RESPONSES,
)
def create_agency(session: SessionDep, _admin: AgenciesWriter, body: AgencyCreate) -> AgencyOut:
    return _out(agencies.create(session, body))


@router.patch("/agencies/{code}", summary="Change an agency", response_model=AgencyOut)
def update_agency(
    session: SessionDep, _admin: AgenciesWriter, code: str, body: AgencyUpdate
) -> AgencyOut:
    return _out(agencies.update(session, code, body))


@router.get("/agencies/{code}/units", summary="Units of an agency", response_model=Page[UnitOut])
def list_units(
    session: SessionDep, principal: AgenciesReader, code: str, page: PageDep
) -> Page[UnitOut]:
    rows, cursor = agencies.list_units(session, principal, code, page)
    return Page[UnitOut](
        items=[UnitOut.model_validate(u, from_attributes=True) for u in rows],
        next_cursor=cursor,
        limit=page.limit,
    )


@router.post(
    "/agencies/{code}/units",
    summary="Create a unit in an agency",
    response_model=UnitOut,
    status_code=201,
    responses=CONFLICT_RESPONSES,
)
def create_unit(
    session: SessionDep, principal: UnitsWriter, code: str, body: UnitCreate
) -> UnitOut:
    unit = agencies.create_unit(session, principal, code, body.code, body.name)
    return UnitOut.model_validate(unit, from_attributes=True)
