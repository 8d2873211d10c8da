"""Agencies (機關), their hierarchy and their units."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import Session

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES, FieldError, Invalid, NotFound
from services.common.pagination import Page, PageDep
from services.common.principal import Principal
from services.common.reach import outside
from services.directory.access import reach
from services.directory.api.deps import (
    AGENCIES_READ,
    UNITS_WRITE,
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
from services.directory.store import agencies as store

router = APIRouter(tags=["agencies"], dependencies=[WRITES_OPEN_IMMEDIATE])


def _visible_agency(session: Session, principal: Principal, permission: str, code: str) -> Agency:
    """The agency, or 404 when it is missing or outside what `permission` reaches."""
    agency = store.get_agency(session, code)
    allowed = reach(session, principal, permission)
    if agency is None or not allowed.covers(agency_code=code):
        raise outside(allowed.scopes, "no such agency")
    return agency


def _out(agency: Agency) -> AgencyOut:
    return AgencyOut.model_validate(agency, from_attributes=True)


def _refuse_nulls(body: BaseModel, *names: str) -> None:
    nulls = [n for n in names if n in body.model_fields_set and getattr(body, n) is None]
    if nulls:
        raise Invalid(
            "these fields cannot be cleared",
            errors=[
                FieldError(field=f"body.{n}", reason="cannot be null", code="null") for n in nulls
            ],
        )


@router.get("/agencies", summary="List agencies", response_model=Page[AgencyOut])
def list_agencies(
    session: SessionDep,
    principal: AgenciesReader,
    page: PageDep,
    type: AgencyType | None = None,
    parent: Annotated[AgencyCode | None, Query(description="Children of this agency")] = None,
) -> Page[AgencyOut]:
    visible = reach(session, principal, AGENCIES_READ).clause(agency=Agency.code)
    rows, cursor = store.list_agencies(session, visible, page, type_=type, parent=parent)
    return Page[AgencyOut](items=[_out(a) for a in rows], next_cursor=cursor, limit=page.limit)


@router.get("/agencies/{code}", summary="One agency", response_model=AgencyOut)
def get_agency(session: SessionDep, principal: AgenciesReader, code: str) -> AgencyOut:
    return _out(_visible_agency(session, principal, AGENCIES_READ, code))


@router.get(
    "/agencies/{code}/subtree",
    summary="Codes of the agency and all its descendants",
    response_model=AgencySubtree,
)
def get_agency_subtree(session: SessionDep, principal: AgenciesReader, code: str) -> AgencySubtree:
    _visible_agency(session, principal, AGENCIES_READ, code)
    allowed = reach(session, principal, AGENCIES_READ)
    codes = [c for c in store.subtree_codes(session, code) if allowed.covers(agency_code=c)]
    return AgencySubtree(code=code, codes=codes)


@router.post(
    "/agencies",
    summary="Create an agency",
    response_model=AgencyOut,
    status_code=201,
    responses=CONFLICT_RESPONSES,
)
def create_agency(session: SessionDep, _admin: AgenciesWriter, body: AgencyCreate) -> AgencyOut:
    if body.parent_code is not None and store.get_agency(session, body.parent_code) is None:
        raise Invalid(
            "unknown parent agency",
            errors=[
                FieldError(field="body.parent_code", reason="no such agency", code="unknown_agency")
            ],
        )
    return _out(store.create_agency(session, **body.model_dump()))


@router.patch("/agencies/{code}", summary="Change an agency", response_model=AgencyOut)
def update_agency(
    session: SessionDep, _admin: AgenciesWriter, code: str, body: AgencyUpdate
) -> AgencyOut:
    agency = store.get_agency(session, code)
    if agency is None:
        raise NotFound("no such agency")
    _refuse_nulls(body, "name", "type")
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    parent = changes.get("parent_code")
    if parent is not None:
        if store.get_agency(session, parent) is None:
            raise Invalid(
                "unknown parent agency",
                errors=[
                    FieldError(
                        field="body.parent_code", reason="no such agency", code="unknown_agency"
                    )
                ],
            )
        if parent in store.subtree_codes(session, code):
            raise Invalid(
                "an agency cannot sit below itself",
                errors=[
                    FieldError(
                        field="body.parent_code", reason="would create a cycle", code="cycle"
                    )
                ],
            )
    return _out(store.update_agency(session, agency, changes))


@router.get("/agencies/{code}/units", summary="Units of an agency", response_model=Page[UnitOut])
def list_units(
    session: SessionDep, principal: AgenciesReader, code: str, page: PageDep
) -> Page[UnitOut]:
    _visible_agency(session, principal, AGENCIES_READ, code)
    rows, cursor = store.list_units(session, code, page)
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
    _visible_agency(session, principal, UNITS_WRITE, code)
    unit = store.create_unit(session, code, body.code, body.name)
    return UnitOut.model_validate(unit, from_attributes=True)
