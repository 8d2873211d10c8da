"""Who may see and change what: the one place training narrows a permission
family to the objects the principal may reach.

Which scopes a principal holds, and whether a refusal is 403 or 404, is the
kernel's (`services.common.reach`); here `…:unit` becomes the unit the roster
records for the principal's person, and the scopes become WHERE clauses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import Session

from services.common.errors import Forbidden
from services.common.importing.jobs_store import readable_by
from services.common.importing.model import StoredImportJob
from services.common.permissions import require, require_qualified, require_service
from services.common.principal import Principal
from services.common.reach import Scopes, outside, scopes
from services.common.reach import check_agency as check_agency
from services.training.models import RosterPerson

RECORDS_READ = "training:records:read"
RECORDS_WRITE = "training:records:write"
CLASSES_WRITE = "training:classes:write"
IMPORTS = "training:imports"
AI_HOURS_READ = "training:ai_hours:read"


RecordReader = Annotated[Principal, Depends(require(RECORDS_READ, "self", "unit", "agency"))]
RecordWriter = Annotated[Principal, Depends(require(RECORDS_WRITE, "agency"))]
ClassWriter = Annotated[Principal, Depends(require(CLASSES_WRITE, "agency"))]


def ai_hours_reader(after: Callable[..., Any]) -> Any:
    """The AI-hours feed is the certs service's alone (its nightly pull as
    svc.certs): every person of every agency, so no person's account and no
    other service. `after` reads the feed's query, checked first."""
    return Annotated[Principal, Depends(require_service(AI_HOURS_READ, "certs", after=after))]


# An importer's grant names its platform (`training:imports:elearn`); the
# operation then checks the source it is asked to import for, and which jobs
# it may read (`may_read_import`).
Importer = Annotated[Principal, Depends(require_qualified(IMPORTS, "source"))]


def check_import_source(principal: Principal, source: str) -> None:
    """Importer accounts are bound to their platform: `training:imports:<source>`."""
    if not principal.has(f"{IMPORTS}:{source}"):
        raise Forbidden(f"this account may not import for source {source!r}")


def import_sources(principal: Principal) -> tuple[str, ...]:
    """The platforms whose import jobs the caller may list: those its grants name."""
    prefix = f"{IMPORTS}:"
    return tuple(sorted(p[len(prefix) :] for p in principal.permissions if p.startswith(prefix)))


def import_scope(principal: Principal) -> frozenset[str]:
    """The agencies an importer writes for: its account's agency scope, as the
    gateway resolved it (the account's agency and, where granted, its
    subordinates). The import grant carries no scope of its own, so an account
    without agencies writes for no one."""
    return frozenset(principal.agency_scope)


def may_read_import(principal: Principal, job: StoredImportJob) -> bool:
    """An import job (its counts and row errors) is read while the caller holds
    the platform's grant, by whom the kernel's rule allows (`readable_by`: its
    starter, or an importer covering all of its agencies)."""
    if not principal.has(f"{IMPORTS}:{job.source}"):
        return False
    return readable_by(job, principal.sub, principal.agency_scope)


@dataclass(frozen=True)
class Reach:
    """The kernel's scopes of one family, mapped onto training's roster."""

    scopes: Scopes
    unit: tuple[str, str] | None = None  # (agency_code, unit_id) of the principal

    @property
    def everything(self) -> bool:
        return self.scopes.everything

    def covers(self, person_id: str, agency_code: str | None, unit_id: str | None) -> bool:
        held = self.scopes
        if held.everything or (held.person_id is not None and person_id == held.person_id):
            return True
        if held.covers_agency(agency_code):
            return True
        return self.unit is not None and (agency_code, unit_id) == self.unit

    def clause(self, person_col: Any, agency_col: Any, unit_col: Any) -> ColumnElement[bool]:
        """The same rule as `covers`, as a WHERE clause over the given columns."""
        held = self.scopes
        if held.everything:
            return true()
        parts: list[ColumnElement[bool]] = []
        if held.person_id is not None:
            parts.append(person_col == held.person_id)
        if held.agencies:
            parts.append(agency_col.in_(sorted(held.agencies)))
        if self.unit is not None:
            parts.append(and_(agency_col == self.unit[0], unit_col == self.unit[1]))
        return or_(*parts) if parts else false()


def reach(session: Session, principal: Principal, permission: str) -> Reach:
    held = scopes(principal, permission)
    unit = None
    if held.unit_of is not None:
        own = session.get(RosterPerson, held.unit_of)
        if own is not None and own.unit_id:
            unit = (own.agency_code, own.unit_id)
    return Reach(scopes=held, unit=unit)


def check_person(
    reach_: Reach, person_id: str, agency_code: str | None, unit_id: str | None
) -> None:
    """A person outside the reach reads as one who does not exist (the kernel's
    rule, `services.common.reach`)."""
    if not reach_.covers(person_id, agency_code, unit_id):
        raise outside(reach_.scopes, "no such person")
