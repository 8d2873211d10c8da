"""Object-level authorisation: the one place that decides which records a principal reaches.

Which scopes a principal holds, and whether a refusal is 403 or 404, is the
kernel's (`services.common.reach`). Here `…:agency` reaches the agencies in
scope; `…:unit` the unit of the principal's own person record; `…:self` the
principal's own person record. Use cases check objects with `Reach.covers` and
filter lists with `Reach.clause`.

Not in `domain/`: a reach is turned into SQL clauses here, and finding the
principal's own unit takes a look-up (`store.persons.unit_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import Session, col

from services.common.principal import Principal
from services.common.reach import Scopes, scopes
from services.directory.store import persons as person_store

# The permission families of the directory's routes: declared on the routes
# (`api/deps.py`) and used here and in the use cases to compute reach.
AGENCIES_READ = "directory:agencies:read"
AGENCIES_WRITE = "directory:agencies:write"
UNITS_WRITE = "directory:units:write"
PERSONS_READ = "directory:persons:read"
PERSONS_WRITE = "directory:persons:write"
PERSONS_IMPORT = "directory:persons:import"
PERSONS_MATCH = "directory:persons:match"
# A service's own account matching for an import it runs as itself, within the
# importer's reach (`service/import_match.py`): service roles only.
PERSONS_IMPORT_MATCH = "directory:persons:import_match"
# Who works where (personnel id and unit of persons in service), nothing else:
# what a roster copied into another service needs.
PERSONS_ROSTER = "directory:persons:roster"
ACCOUNTS_READ = "directory:accounts:read"
ACCOUNTS_WRITE = "directory:accounts:write"
PRINCIPALS_RESOLVE = "directory:principals:resolve"
REVIEWS_READ = "directory:reviews:read"
REVIEWS_WRITE = "directory:reviews:write"
# A training officer's: authorising persons of their agency to search the
# lecturer directory. Named for what it lets the grantee do in speakers, but
# granted, listed and revoked here, where accounts and their permissions live.
SEARCH_GRANTS = "speakers:searchers:grant"


@dataclass(frozen=True)
class Reach:
    """The kernel's scopes of one family, mapped onto the directory's tables."""

    scopes: Scopes
    units: frozenset[int] = field(default_factory=frozenset)

    @property
    def everything(self) -> bool:
        return self.scopes.everything

    @property
    def agencies(self) -> frozenset[str]:
        return self.scopes.agencies or frozenset()

    @property
    def persons(self) -> frozenset[str]:
        held = self.scopes.person_id
        return frozenset() if held is None else frozenset({held})

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
    held = scopes(principal, permission)
    units: frozenset[int] = frozenset()
    if held.unit_of is not None:
        own_unit = person_store.unit_of(session, held.unit_of)
        if own_unit is not None:
            units = frozenset({own_unit})
    return Reach(scopes=held, units=units)


def agency_scope_reach(principal: Principal, family: str) -> Reach:
    """For permissions that carry no scope yet must stay within the caller's
    agencies, such as `directory:persons:import`: a batch importer of one
    agency never writes into another."""
    return agencies_reach(principal.agency_scope, family)


def agencies_reach(agencies: Iterable[str], family: str) -> Reach:
    """The reach of `agency_scope_reach` from the agencies alone (as an import job
    keeps them, for a worker that runs it without the request)."""
    held = Scopes(family=family, agencies=frozenset(agencies), held=frozenset({"agency"}))
    return Reach(scopes=held)
