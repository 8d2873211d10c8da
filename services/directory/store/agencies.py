"""Agencies, their hierarchy and their units."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from sqlmodel import select as model_select

from services.common.errors import Conflict
from services.common.pagination import PageParams, paginate
from services.common.timeutil import now_utc
from services.directory.models import Agency, Unit


def get_agency(session: Session, code: str) -> Agency | None:
    return session.get(Agency, code)


def existing_codes(session: Session, codes: list[str]) -> set[str]:
    if not codes:
        return set()
    return set(session.exec(model_select(Agency.code).where(col(Agency.code).in_(codes))))


def list_agencies(
    session: Session,
    visible: ColumnElement[bool],
    params: PageParams,
    *,
    type_: str | None = None,
    parent: str | None = None,
) -> tuple[list[Agency], str | None]:
    stmt = select(Agency).where(visible)
    if type_ is not None:
        stmt = stmt.where(col(Agency.type) == type_)
    if parent is not None:
        stmt = stmt.where(col(Agency.parent_code) == parent)
    return paginate(session, stmt, col(Agency.code), params)


def subtree_codes(session: Session, code: str) -> list[str]:
    """`code` and every agency below it, at any depth (recursive CTE).

    UNION rather than UNION ALL: should a cycle ever slip in, the recursion
    stops at rows already seen instead of running forever."""
    root = select(col(Agency.code)).where(col(Agency.code) == code)
    tree = root.cte("subtree", recursive=True)
    child = aliased(Agency)
    tree = tree.union(select(col(child.code)).where(col(child.parent_code) == tree.c.code))
    return sorted(session.execute(select(tree.c.code)).scalars())


def subtrees(session: Session, codes: list[str]) -> set[str]:
    out: set[str] = set()
    for code in codes:
        out.update(subtree_codes(session, code))
    return out


def create_agency(session: Session, **values: Any) -> Agency:
    agency = Agency(**values)
    try:
        with session.begin_nested():
            session.add(agency)
    except IntegrityError:
        raise Conflict("an agency with this code already exists") from None
    return agency


def update_agency(session: Session, agency: Agency, changes: dict[str, Any]) -> Agency:
    for name, value in changes.items():
        setattr(agency, name, value)
    agency.updated_at = now_utc()
    session.add(agency)
    session.flush()
    return agency


def list_units(
    session: Session, agency_code: str, params: PageParams
) -> tuple[list[Unit], str | None]:
    stmt = select(Unit).where(col(Unit.agency_code) == agency_code)
    return paginate(session, stmt, col(Unit.id), params)


def get_unit(session: Session, unit_id: int) -> Unit | None:
    return session.get(Unit, unit_id)


def create_unit(session: Session, agency_code: str, code: str, name: str) -> Unit:
    unit = Unit(agency_code=agency_code, code=code, name=name)
    try:
        with session.begin_nested():
            session.add(unit)
    except IntegrityError:
        raise Conflict("this agency already has a unit with this code") from None
    return unit


def units_by_code(session: Session, agency_code: str) -> dict[str, int]:
    rows = session.exec(
        model_select(Unit.code, Unit.id).where(col(Unit.agency_code) == agency_code)
    )
    return {code: unit_id for code, unit_id in rows if unit_id is not None}
