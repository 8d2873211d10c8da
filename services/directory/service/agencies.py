"""Agency use cases: reading the agencies (機關) within reach, their hierarchy and
units, and changing them; an agency never sits below itself."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from services.common.errors import FieldError, Invalid, NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.reach import outside
from services.directory.access import AGENCIES_READ, UNITS_WRITE, reach
from services.directory.models import Agency, Unit
from services.directory.schemas import AgencyCreate, AgencyUpdate
from services.directory.store import agencies as store


def _visible(session: Session, principal: Principal, permission: str, code: str) -> Agency:
    """The agency, or 404 when it is missing or outside what `permission` reaches."""
    agency = store.get_agency(session, code)
    allowed = reach(session, principal, permission)
    if agency is None or not allowed.covers(agency_code=code):
        raise outside(allowed.scopes, "no such agency")
    return agency


def _refuse_nulls(body: BaseModel, *names: str) -> None:
    nulls = [n for n in names if n in body.model_fields_set and getattr(body, n) is None]
    if nulls:
        raise Invalid(
            "these fields cannot be cleared",
            errors=[
                FieldError(field=f"body.{n}", reason="cannot be null", code="null") for n in nulls
            ],
        )


def _unknown_parent() -> Invalid:
    return Invalid(
        "unknown parent agency",
        errors=[
            FieldError(field="body.parent_code", reason="no such agency", code="unknown_agency")
        ],
    )


def list_agencies(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    type_: str | None = None,
    parent: str | None = None,
) -> tuple[list[Agency], str | None]:
    """One page of the agencies within the caller's reach."""
    visible = reach(session, principal, AGENCIES_READ).clause(agency=Agency.code)
    return store.list_agencies(session, visible, params, type_=type_, parent=parent)


def read(session: Session, principal: Principal, code: str) -> Agency:
    return _visible(session, principal, AGENCIES_READ, code)


def subtree(session: Session, principal: Principal, code: str) -> list[str]:
    """Codes of the agency and its descendants, those within the caller's reach."""
    _visible(session, principal, AGENCIES_READ, code)
    allowed = reach(session, principal, AGENCIES_READ)
    return [c for c in store.subtree_codes(session, code) if allowed.covers(agency_code=c)]


def create(session: Session, body: AgencyCreate) -> Agency:
    if body.parent_code is not None and store.get_agency(session, body.parent_code) is None:
        raise _unknown_parent()
    return store.create_agency(session, **body.model_dump())


def update(session: Session, code: str, body: AgencyUpdate) -> Agency:
    """Change the fields sent; the new parent must exist and not sit below the agency."""
    agency = store.get_agency(session, code)
    if agency is None:
        raise NotFound("no such agency")
    _refuse_nulls(body, "name", "type")
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    parent = changes.get("parent_code")
    if parent is not None:
        if store.get_agency(session, parent) is None:
            raise _unknown_parent()
        if parent in store.subtree_codes(session, code):
            raise Invalid(
                "an agency cannot sit below itself",
                errors=[
                    FieldError(
                        field="body.parent_code", reason="would create a cycle", code="cycle"
                    )
                ],
            )
    return store.update_agency(session, agency, changes)


def list_units(
    session: Session, principal: Principal, code: str, params: PageParams
) -> tuple[list[Unit], str | None]:
    _visible(session, principal, AGENCIES_READ, code)
    return store.list_units(session, code, params)


def create_unit(
    session: Session, principal: Principal, code: str, unit_code: str, name: str
) -> Unit:
    _visible(session, principal, UNITS_WRITE, code)
    return store.create_unit(session, code, unit_code, name)
