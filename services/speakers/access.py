"""Who may act on what in the speakers service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.errors import Forbidden
from services.common.permissions import require
from services.common.principal import Principal

LecturerWriter = Annotated[
    Principal,
    Depends(require("speakers:lecturers:write", "agency")),
]
Searcher = Annotated[Principal, Depends(require("speakers:search"))]
EngagementWriter = Annotated[
    Principal,
    Depends(require("speakers:engagements:write", "agency")),
]


def check_engagement_agency(principal: Principal, agency_code: str) -> None:
    """An agency-scoped writer records engagements of its own agencies' classes only."""
    if principal.has("speakers:engagements:write"):
        return
    if not principal.in_scope(agency_code):
        raise Forbidden("the class belongs to an agency outside your scope")
