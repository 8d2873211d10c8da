"""Object-level authorisation: the one place that decides which records a principal reaches.

A permission without a scope reaches every object of its kind; `…:agency`
reaches the agencies in `principal.agency_scope`; `…:unit` the unit of the
principal's own person record; `…:self` the principal's own person record.
Routers check objects with `Reach.covers` and filter lists with `Reach.clause`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import Session, col, select

from services.common.principal import Principal
from services.directory.models import Person


@dataclass(frozen=True)
class Reach:
    everything: bool = False
    agencies: frozenset[str] = field(default_factory=frozenset)
    units: frozenset[int] = field(default_factory=frozenset)
    persons: frozenset[str] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.everything or self.agencies or self.units or self.persons)

    def covers(
        self, *, agency_code: str | None, unit_id: int | None = None, person_id: str | None = None
    ) -> bool:
        if self.everything:
            return True
        return (
            (agency_code is not None and agency_code in self.agencies)
            or (unit_id is not None and unit_id in self.units)
            or (person_id is not None and person_id in self.persons)
        )

    def clause(
        self, *, agency: Any, unit: Any | None = None, person: Any | None = None
    ) -> ColumnElement[bool]:
        if self.everything:
            return true()
        conditions: list[ColumnElement[bool]] = []
        if self.agencies:
            conditions.append(col(agency).in_(sorted(self.agencies)))
        if self.units and unit is not None:
            conditions.append(col(unit).in_(sorted(self.units)))
        if self.persons and person is not None:
            conditions.append(col(person).in_(sorted(self.persons)))
        return or_(*conditions) if conditions else false()


def reach(session: Session, principal: Principal, permission: str) -> Reach:
    """Everything `permission` (written without a scope) lets `principal` reach."""
    if principal.has(permission):
        return Reach(everything=True)
    agencies: frozenset[str] = frozenset()
    units: frozenset[int] = frozenset()
    persons: frozenset[str] = frozenset()
    if principal.has(f"{permission}:agency"):
        agencies = frozenset(principal.agency_scope)
    if principal.person_id is not None:
        if principal.has(f"{permission}:self"):
            persons = frozenset({principal.person_id})
        if principal.has(f"{permission}:unit"):
            own_unit = session.exec(
                select(Person.unit_id).where(Person.id == principal.person_id)
            ).first()
            if own_unit is not None:
                units = frozenset({own_unit})
    return Reach(agencies=agencies, units=units, persons=persons)


def agency_scope_reach(principal: Principal) -> Reach:
    """For permissions that carry no scope yet must stay within the caller's
    agencies, such as `directory:persons:import`: a batch importer of one
    agency never writes into another."""
    return Reach(agencies=frozenset(principal.agency_scope))
