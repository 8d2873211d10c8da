"""Object-level authorisation: the one place that decides whose records a principal reaches.

Which scopes a principal holds, and whether a refusal is 403 or 404, is the
kernel's (`services.common.reach`). Here `…:agency` reaches the persons whose
roster agency is in scope; `…:unit` the persons the principal supervises
(their roster `supervisor_id`) and those of the principal's own roster unit;
`…:self` the principal's own person.
Routers check one person with `Reach.covers` and filter lists with
`Reach.persons_clause`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlmodel import Session, col

from services.attendance.models import RosterPerson
from services.common.errors import Forbidden
from services.common.principal import Principal
from services.common.reach import Scopes, outside, scopes
from services.common.reach import check_agency as check_agency

# The permission families of attendance: declared on the routes (api/deps.py),
# checked against the caller's scopes in the use cases.
ROSTER_IMPORT = "attendance:roster:import"
RECORDS_READ = "attendance:records:read"
RECORDS_WRITE = "attendance:records:write"
RECORDS_IMPORT = "attendance:records:import"
OVERTIME_REQUEST = "attendance:overtime:request"
OVERTIME_APPROVE = "attendance:overtime:approve"
COMP_REQUEST = "attendance:comp:request"
COMP_APPROVE = "attendance:comp:approve"
COMP_TRANSFER = "attendance:comp:transfer"
POLICY_READ = "attendance:policy:read"
POLICY_WRITE = "attendance:policy:write"
SETTLEMENT_READ = "attendance:settlement:read"
REPORTS_READ = "attendance:reports:read"


@dataclass(frozen=True)
class Reach:
    """The kernel's scopes of one family, mapped onto attendance's roster."""

    scopes: Scopes
    supervisor: str | None = None
    unit: tuple[str, str] | None = None

    @property
    def everything(self) -> bool:
        return self.scopes.everything

    @property
    def persons(self) -> frozenset[str]:
        held = self.scopes.person_id
        return frozenset() if held is None else frozenset({held})

    def covers(self, person: RosterPerson) -> bool:
        if self.everything:
            return True
        return (
            self.scopes.covers_agency(person.agency_code)
            or (self.supervisor is not None and person.supervisor_id == self.supervisor)
            or (self.unit is not None and (person.agency_code, person.unit_code) == self.unit)
            or person.person_id in self.persons
        )

    def roster_clause(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        conditions: list[ColumnElement[bool]] = []
        if self.scopes.agencies:
            conditions.append(col(RosterPerson.agency_code).in_(sorted(self.scopes.agencies)))
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
    held = scopes(principal, permission)
    unit: tuple[str, str] | None = None
    if held.unit_of is not None and whole_unit:
        own = session.get(RosterPerson, held.unit_of)
        if own is not None and own.unit_code is not None:
            unit = (own.agency_code, own.unit_code)
    return Reach(scopes=held, supervisor=held.unit_of, unit=unit)


def not_own(principal: Principal, person: RosterPerson) -> None:
    """Deciding on one's own overtime or leave is refused, whatever the scope:
    an approval is someone else's act (separation of duties)."""
    if principal.person_id is not None and principal.person_id == person.person_id:
        raise Forbidden("nobody approves or refuses their own request")


def person_in_reach(session: Session, reach_: Reach, person_id: str) -> RosterPerson:
    """The roster row of a person the caller reaches; anyone else reads as one
    the roster does not hold (the kernel's rule, `services.common.reach`)."""
    person = session.get(RosterPerson, person_id)
    if person is None or not reach_.covers(person):
        raise outside(reach_.scopes, "no such person in the attendance roster")
    return person


def decider(principal: Principal, person: RosterPerson, what: str) -> str:
    """The person id under which `principal` decides on `person`'s `what`
    (their overtime, their leave). A decision is a supervisor's act on someone
    else's request: a caller without a person, or deciding on their own, is refused."""
    if principal.person_id is None or principal.person_id == person.person_id:
        raise Forbidden(f"no one decides on their own {what}")
    return principal.person_id
