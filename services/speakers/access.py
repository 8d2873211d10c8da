"""Who may act on what in the speakers service.

Which scopes a principal holds, and whether a refusal is 403 or 404, is the
kernel's (`services.common.reach`); speakers scopes only by agency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.permissions import require
from services.common.principal import Principal
from services.common.reach import check_agency

LECTURERS_WRITE = "speakers:lecturers:write"
SEARCH = "speakers:search"
ENGAGEMENTS_WRITE = "speakers:engagements:write"

LecturerWriter = Annotated[Principal, Depends(require(LECTURERS_WRITE, "agency"))]
Searcher = Annotated[Principal, Depends(require(SEARCH))]
EngagementWriter = Annotated[Principal, Depends(require(ENGAGEMENTS_WRITE, "agency"))]


def check_engagement_agency(principal: Principal, agency_code: str) -> None:
    """An agency-scoped writer records engagements of its own agencies' classes only."""
    check_agency(principal, ENGAGEMENTS_WRITE, agency_code)
