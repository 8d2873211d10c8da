"""Who may act on what in the speakers service.

Which scopes a principal holds, and whether a refusal is 403 or 404, is the
kernel's (`services.common.reach`); speakers scopes only by agency, and the
lecturer's own profile by the account's person id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.errors import NotFound
from services.common.permissions import require
from services.common.principal import Principal
from services.common.reach import check_agency
from services.speakers.domain.consent import Audience

LECTURERS_WRITE = "speakers:lecturers:write"
SEARCH = "speakers:search"
ENGAGEMENTS_WRITE = "speakers:engagements:write"
PROFILE_READ = "speakers:profile:read"
PROFILE_WRITE = "speakers:profile:write"
# The academy's importer account: lecturers and engagement records in bulk.
IMPORT = "speakers:import"

LecturerWriter = Annotated[Principal, Depends(require(LECTURERS_WRITE, "agency"))]
Searcher = Annotated[Principal, Depends(require(SEARCH))]
EngagementWriter = Annotated[Principal, Depends(require(ENGAGEMENTS_WRITE, "agency"))]
ProfileReader = Annotated[Principal, Depends(require(PROFILE_READ, "self"))]
ProfileWriter = Annotated[Principal, Depends(require(PROFILE_WRITE, "self"))]
Importer = Annotated[Principal, Depends(require(IMPORT))]


def check_engagement_agency(principal: Principal, agency_code: str) -> None:
    """An agency-scoped writer records engagements of its own agencies' classes only."""
    check_agency(principal, ENGAGEMENTS_WRITE, agency_code)


def audience(principal: Principal) -> Audience:
    """A training officer (訓練承辦人) is whoever keeps the lecturer directory;
    every other caller allowed to search is an authorised searcher."""
    if principal.has(LECTURERS_WRITE) or principal.has(f"{LECTURERS_WRITE}:agency"):
        return Audience.TRAINING_OFFICER
    return Audience.SEARCHER


def own_person_id(principal: Principal) -> str:
    """The person whose lecturer profile a `:self` grant reaches."""
    if principal.person_id is None:
        raise NotFound("no lecturer profile belongs to this account")
    return principal.person_id
