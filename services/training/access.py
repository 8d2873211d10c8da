"""Who may see and change what: the one place training narrows a permission
family to the objects the principal may reach.

Scopes: `…:self` (one's own), `…:unit` (one's unit, as the roster records it),
`…:agency` (the agencies in `principal.agency_scope`, which the gateway fills
with the account's agency and, where granted, its subordinates); no scope
reaches everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import Session

from services.common.errors import Forbidden, NotFound
from services.common.permissions import require, require_qualified
from services.common.principal import Principal
from services.training.models import RosterPerson

RECORDS_READ = "training:records:read"
RECORDS_WRITE = "training:records:write"
CLASSES_WRITE = "training:classes:write"
IMPORTS = "training:imports"


RecordReader = Annotated[Principal, Depends(require(RECORDS_READ, "self", "unit", "agency"))]
RecordWriter = Annotated[Principal, Depends(require(RECORDS_WRITE, "agency"))]
ClassWriter = Annotated[Principal, Depends(require(CLASSES_WRITE, "agency"))]


# An importer's grant names its platform (`training:imports:elearn`); the
# operation then checks the source it is asked to import for, and which jobs
# it may read (`may_read_import`).
Importer = Annotated[Principal, Depends(require_qualified(IMPORTS, "source"))]


def check_import_source(principal: Principal, source: str) -> None:
    """Importer accounts are bound to their platform: `training:imports:<source>`."""
    if not principal.has(f"{IMPORTS}:{source}"):
        raise Forbidden(f"this account may not import for source {source!r}")


def import_scope(principal: Principal) -> frozenset[str]:
    """The agencies an importer writes for: its account's agency scope, as the
    gateway resolved it (the account's agency and, where granted, its
    subordinates). The import grant carries no scope of its own, so an account
    without agencies writes for no one."""
    return frozenset(principal.agency_scope)


def may_read_import(
    principal: Principal, source: str, created_by: str, job_scope: Sequence[str]
) -> bool:
    """An import job (its counts and row errors) is read by the account that
    started it while it holds the platform's grant, and by another importer of
    that platform whose agencies include all of the job's. A job with no
    agencies recorded (started before they were, or by an account without any) is
    its account's alone: an empty scope must not count as covered by everyone."""
    if not principal.has(f"{IMPORTS}:{source}"):
        return False
    covered = bool(job_scope) and set(job_scope) <= set(principal.agency_scope)
    return principal.sub == created_by or covered


@dataclass(frozen=True)
class Reach:
    everything: bool = False
    agencies: frozenset[str] = frozenset()
    unit: tuple[str, str] | None = None  # (agency_code, unit_id)
    person_id: str | None = None

    @property
    def broad(self) -> bool:
        """Whether the principal may reach other people at all (decides 403 vs 404)."""
        return self.everything or bool(self.agencies) or self.unit is not None

    def covers(self, person_id: str, agency_code: str | None, unit_id: str | None) -> bool:
        if self.everything or (self.person_id is not None and person_id == self.person_id):
            return True
        if agency_code is not None and agency_code in self.agencies:
            return True
        return self.unit is not None and (agency_code, unit_id) == self.unit

    def clause(self, person_col: Any, agency_col: Any, unit_col: Any) -> ColumnElement[bool]:
        """The same rule as `covers`, as a WHERE clause over the given columns."""
        if self.everything:
            return true()
        parts: list[ColumnElement[bool]] = []
        if self.person_id is not None:
            parts.append(person_col == self.person_id)
        if self.agencies:
            parts.append(agency_col.in_(sorted(self.agencies)))
        if self.unit is not None:
            parts.append(and_(agency_col == self.unit[0], unit_col == self.unit[1]))
        return or_(*parts) if parts else false()


def reach(session: Session, principal: Principal, permission: str) -> Reach:
    if principal.has(permission):
        return Reach(everything=True)
    agencies = (
        frozenset(principal.agency_scope) if principal.has(f"{permission}:agency") else frozenset()
    )
    unit = None
    person = principal.person_id if principal.has(f"{permission}:self") else None
    if principal.person_id is not None and principal.has(f"{permission}:unit"):
        own = session.get(RosterPerson, principal.person_id)
        if own is not None and own.unit_id:
            unit = (own.agency_code, own.unit_id)
    return Reach(everything=False, agencies=agencies, unit=unit, person_id=person)


def check_person(
    reach_: Reach, person_id: str, agency_code: str | None, unit_id: str | None
) -> None:
    """403 for an officer looking outside their scope; 404 for an employee asking
    after someone else, so that nobody learns who exists."""
    if reach_.covers(person_id, agency_code, unit_id):
        return
    if reach_.broad:
        raise Forbidden("this person is outside your scope")
    raise NotFound("no such person")


def check_agency(principal: Principal, permission: str, agency_code: str) -> None:
    """Agency-level acts (classes, overrides, reports) need the agency in scope."""
    if principal.has(permission):
        return
    if principal.has(f"{permission}:agency") and principal.in_scope(agency_code):
        return
    raise Forbidden("this agency is outside your scope")
