"""Object-level authorisation: the one place that decides whose records a principal reaches.

A permission without a scope reaches everyone; `…:agency` the persons whose
roster agency is in `principal.agency_scope`; `…:unit` the persons the
principal supervises (their roster `supervisor_id`) and those of the
principal's own roster unit; `…:self` the principal's own person.
Routers check one person with `Reach.covers` and filter lists with
`Reach.persons_clause`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlmodel import Session, col

from services.attendance.models import RosterPerson
from services.common.errors import Forbidden, NotFound
from services.common.principal import Principal


@dataclass(frozen=True)
class Reach:
    everything: bool = False
    agencies: frozenset[str] = field(default_factory=frozenset)
    supervisor: str | None = None
    unit: tuple[str, str] | None = None
    persons: frozenset[str] = field(default_factory=frozenset)

    def covers(self, person: RosterPerson) -> bool:
        if self.everything:
            return True
        return (
            person.agency_code in self.agencies
            or (self.supervisor is not None and person.supervisor_id == self.supervisor)
            or (self.unit is not None and (person.agency_code, person.unit_code) == self.unit)
            or person.person_id in self.persons
        )

    def roster_clause(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        conditions: list[ColumnElement[bool]] = []
        if self.agencies:
            conditions.append(col(RosterPerson.agency_code).in_(sorted(self.agencies)))
        if self.supervisor is not None:
            conditions.append(col(RosterPerson.supervisor_id) == self.supervisor)
        if self.unit is not None:
            conditions.append(
                and_(
                    col(RosterPerson.agency_code) == self.unit[0],
                    col(RosterPerson.unit_code) == self.unit[1],
                )
            )
        if self.persons:
            conditions.append(col(RosterPerson.person_id).in_(sorted(self.persons)))
        return or_(*conditions) if conditions else false()

    def persons_clause(self, person_column: Any) -> ColumnElement[bool]:
        """`person_column` restricted to the persons this reach covers."""
        if self.everything:
            return true()
        return col(person_column).in_(
            select(col(RosterPerson.person_id)).where(self.roster_clause())
        )


def reach(
    session: Session, principal: Principal, permission: str, *, whole_unit: bool = True
) -> Reach:
    """Everything `permission` (written without a scope) lets `principal` reach.

    `whole_unit=False` narrows `…:unit` to the persons the principal is the
    named supervisor of: deciding on someone's overtime or leave is the
    supervisor's act, while reading extends to the unit."""
    if principal.has(permission):
        return Reach(everything=True)
    agencies: frozenset[str] = frozenset()
    persons: frozenset[str] = frozenset()
    supervisor: str | None = None
    unit: tuple[str, str] | None = None
    if principal.has(f"{permission}:agency"):
        agencies = frozenset(principal.agency_scope)
    if principal.person_id is not None:
        if principal.has(f"{permission}:self"):
            persons = frozenset({principal.person_id})
        if principal.has(f"{permission}:unit"):
            supervisor = principal.person_id
            own = session.get(RosterPerson, principal.person_id) if whole_unit else None
            if own is not None and own.unit_code is not None:
                unit = (own.agency_code, own.unit_code)
    return Reach(agencies=agencies, supervisor=supervisor, unit=unit, persons=persons)


def agency_reach(principal: Principal, permission: str) -> frozenset[str] | None:
    """Agencies an agency-level permission reaches; None means every agency."""
    if principal.has(permission):
        return None
    if principal.has(f"{permission}:agency"):
        return frozenset(principal.agency_scope)
    return frozenset()


def check_agency(principal: Principal, permission: str, agency_code: str) -> None:
    """Agency-addressed routes: refuse an agency outside the caller's scope."""
    agencies = agency_reach(principal, permission)
    if agencies is not None and agency_code not in agencies:
        raise Forbidden("agency outside your scope")


def person_in_reach(session: Session, reach_: Reach, person_id: str) -> RosterPerson:
    """The roster row of a person the caller reaches; 404 for anyone else, so
    that the existence of other agencies' staff is not disclosed."""
    person = session.get(RosterPerson, person_id)
    if person is None or not reach_.covers(person):
        raise NotFound("no such person in the attendance roster")
    return person
