"""The imported roster: person facts the rules and jobs need."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from services.attendance.models import RosterPerson
from services.attendance.schemas import RosterRow
from services.common.timeutil import now_utc

COMPARED = (
    "agency_code",
    "unit_code",
    "supervisor_id",
    "regime",
    "status",
    "hourly_rate",
    "email",
    "cycle_anchor",
)


def get(session: Session, person_id: str) -> RosterPerson | None:
    return session.get(RosterPerson, person_id)


def by_ids(session: Session, person_ids: Iterable[str]) -> dict[str, RosterPerson]:
    ids = sorted(set(person_ids))
    out: dict[str, RosterPerson] = {}
    # Chunked: IN lists stay well under every driver's parameter limit.
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for person in session.exec(
            select(RosterPerson).where(col(RosterPerson.person_id).in_(chunk))
        ):
            out[person.person_id] = person
    return out


def values_of(row: RosterRow) -> dict[str, object]:
    return {
        "agency_code": row.agency_code,
        "unit_code": row.unit_code,
        "supervisor_id": row.supervisor_id,
        "regime": row.regime.value,
        "status": row.status,
        "hourly_rate": row.hourly_rate,
        "email": row.email,
        "cycle_anchor": row.cycle_anchor,
    }


def upsert(session: Session, existing: RosterPerson | None, row: RosterRow, source: str) -> str:
    """Write one roster row: 'created', 'updated' or 'unchanged'."""
    values = values_of(row)
    if existing is None:
        person = RosterPerson(person_id=row.person_id, agency_code=row.agency_code, source=source)
        for key, value in values.items():
            setattr(person, key, value)
        session.add(person)
        return "created"
    if all(getattr(existing, k) == values[k] for k in COMPARED):
        return "unchanged"
    for key, value in values.items():
        setattr(existing, key, value)
    existing.source = source
    existing.updated_at = now_utc()
    session.add(existing)
    return "updated"


def save(session: Session, person: RosterPerson) -> None:
    session.add(person)
