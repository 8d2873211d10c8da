"""Persons: lookups, scoped lists and writes."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from services.common.errors import Conflict, FieldError
from services.common.pagination import PageParams, paginate
from services.directory.models import Person, Unit

# Keys per IN list: well under SQLite's limit of bound parameters per statement.
_CHUNK = 500


def get_person(session: Session, person_id: str) -> Person | None:
    return session.get(Person, person_id)


def unit_of(session: Session, person_id: str) -> int | None:
    """The unit a person works in (None when the person or the unit is missing)."""
    return session.execute(
        select(col(Person.unit_id)).where(col(Person.id) == person_id)
    ).scalar_one_or_none()


def list_persons(
    session: Session,
    visible: ColumnElement[bool],
    params: PageParams,
    *,
    agency: str | None = None,
    unit: int | None = None,
    status: str | None = None,
    q: str | None = None,
) -> tuple[list[Person], str | None]:
    stmt = select(Person).where(visible)
    if agency is not None:
        stmt = stmt.where(col(Person.agency_code) == agency)
    if unit is not None:
        stmt = stmt.where(col(Person.unit_id) == unit)
    if status is not None:
        stmt = stmt.where(col(Person.status) == status)
    if q:
        stmt = stmt.where(func.lower(col(Person.name)).contains(q.lower(), autoescape=True))
    return paginate(session, stmt, col(Person.id), params)


def agency_roster(
    session: Session, agency: str, params: PageParams
) -> tuple[list[Person], str | None]:
    """One page of the agency's persons in service, the whole agency's: the
    caller's reach over the agency is checked before."""
    return list_persons(session, true(), params, agency=agency, status="active")


def reference_errors(
    session: Session,
    *,
    person_id: str,
    agency_code: str,
    unit_id: int | None,
    supervisor_id: str | None,
) -> list[FieldError]:
    """Why the unit or supervisor cannot be linked (empty when they can)."""
    errors = []
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.agency_code != agency_code:
            errors.append(
                FieldError(
                    field="body.unit_id", reason="no such unit in this agency", code="unknown_unit"
                )
            )
    if supervisor_id is not None:
        if supervisor_id == person_id:
            errors.append(
                FieldError(
                    field="body.supervisor_id",
                    reason="a person cannot supervise themself",
                    code="self",
                )
            )
        elif session.get(Person, supervisor_id) is None:
            errors.append(
                FieldError(
                    field="body.supervisor_id", reason="no such person", code="unknown_person"
                )
            )
    return errors


def hash_owner(session: Session, national_id_hmac: str) -> str | None:
    """The person already holding this national ID, if any."""
    return session.execute(
        select(col(Person.id)).where(col(Person.national_id_hmac) == national_id_hmac)
    ).scalar_one_or_none()


def holders_of_hashes(
    session: Session, hashes: Collection[str], visible: ColumnElement[bool]
) -> dict[str, str]:
    """National-ID hash -> personnel id, for the hashes held by a person `visible`
    selects; a few IN lists of at most _CHUNK keys each, over the unique index."""
    wanted = sorted(set(hashes))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        stmt = select(col(Person.national_id_hmac), col(Person.id)).where(
            col(Person.national_id_hmac).in_(wanted[start : start + _CHUNK]), visible
        )
        for digest, person_id in session.execute(stmt):
            found[digest] = person_id
    return found


def save_person(session: Session, person: Person) -> Person:
    """Insert or update; a clash on the id or the national ID is a 409."""
    try:
        with session.begin_nested():
            session.add(person)
    except IntegrityError:
        raise Conflict(
            "the personnel id or the national ID is already registered to another person"
        ) from None
    return person
