"""The roster: each person's agency and unit as the directory last gave them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, col

from services.common.timeutil import now_utc
from services.training.models import RosterPerson
from services.training.store.keys import key_rows

_CHUNK = 400  # SQLite allows 999 bound parameters per statement


@dataclass(frozen=True, slots=True)
class Placement:
    agency_code: str
    unit_id: str


def get(session: Session, person_id: str) -> Placement | None:
    row = session.get(RosterPerson, person_id)
    return None if row is None else Placement(row.agency_code, row.unit_id)


def get_many(session: Session, person_ids: Iterable[str]) -> dict[str, Placement]:
    wanted = sorted(set(person_ids))
    found: dict[str, Placement] = {}
    picked = select(
        col(RosterPerson.person_id), col(RosterPerson.agency_code), col(RosterPerson.unit_id)
    )
    if session.connection().dialect.name == "postgresql":
        # An import batch asks for thousands of persons at once.
        keys = key_rows(wanted)
        stmts = [
            picked.select_from(keys).join(RosterPerson, col(RosterPerson.person_id) == keys.c.v)
        ]
    else:
        stmts = [
            picked.where(col(RosterPerson.person_id).in_(wanted[start : start + _CHUNK]))
            for start in range(0, len(wanted), _CHUNK)
        ]
    for stmt in stmts:
        for person_id, agency, unit in session.execute(stmt):
            found[person_id] = Placement(agency, unit)
    return found


def put(session: Session, person_id: str, placement: Placement) -> None:
    row = session.get(RosterPerson, person_id)
    if row is None:
        row = RosterPerson(person_id=person_id, agency_code="", unit_id="")
    row.agency_code = placement.agency_code
    row.unit_id = placement.unit_id
    row.refreshed_at = now_utc()
    session.add(row)


def persons_in(session: Session, agencies: Iterable[str]) -> dict[str, Placement]:
    codes = sorted(set(agencies))
    stmt = select(
        col(RosterPerson.person_id), col(RosterPerson.agency_code), col(RosterPerson.unit_id)
    ).where(col(RosterPerson.agency_code).in_(codes))
    return {pid: Placement(agency, unit) for pid, agency, unit in session.execute(stmt)}


@dataclass(frozen=True, slots=True)
class Replaced:
    listed: int
    removed: int
    # Persons whose roster place this replacement changed: listed elsewhere
    # before, in another unit, or on no roster at all.
    moved: list[str]


def replace_agency(session: Session, agency_code: str, staff: dict[str, str]) -> Replaced:
    """Make the roster of one agency exactly `staff` (person id → unit id).

    A person listed here who was on another agency's roster moves here: they
    transferred; so does one listed in another unit of this agency. Set-based:
    one read of the listed persons' places, writes only for those whose place
    changed (in batches), one statement stamping the whole agency as refreshed;
    an agency of tens of thousands syncs in a few statements, not two per person.
    """
    table = RosterPerson.__table__  # type: ignore[attr-defined]
    person = col(RosterPerson.person_id)
    before = get_many(session, staff.keys())
    moved = sorted(
        pid for pid, unit_id in staff.items() if before.get(pid) != Placement(agency_code, unit_id)
    )
    current = set(
        session.scalars(select(person).where(col(RosterPerson.agency_code) == agency_code))
    )
    gone = sorted(current - staff.keys())
    for start in range(0, len(gone), _CHUNK):
        session.execute(table.delete().where(person.in_(gone[start : start + _CHUNK])))
    now = now_utc()
    added = [
        {"person_id": p, "agency_code": agency_code, "unit_id": staff[p], "refreshed_at": now}
        for p in moved
        if p not in before
    ]
    changed = [{"p": p, "a": agency_code, "u": staff[p]} for p in moved if p in before]
    if added:
        session.execute(insert(table), added)
    if changed:
        # Many parameter sets, one statement (executemany); bound names differ
        # from the columns', which an UPDATE's WHERE may not reuse.
        session.execute(
            update(table)
            .where(table.c.person_id == bindparam("p"))
            .values(agency_code=bindparam("a"), unit_id=bindparam("u")),
            changed,
        )
    # Every listed person is now in this agency: one statement confirms them all.
    session.execute(
        update(table).where(table.c.agency_code == agency_code).values(refreshed_at=now)
    )
    session.flush()
    return Replaced(listed=len(staff), removed=len(gone), moved=moved)
