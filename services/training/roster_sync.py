"""Replacing an agency's roster with the directory's persons in service: the one
use case behind `POST /roster/agencies/{code}/sync` (read on the caller's
behalf) and the nightly `training.sync-rosters` job (read as training itself)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from services.training.schemas.roster import RosterResult
from services.training.store import roster

# agency code → the agency's persons in service (person id → unit id, "" for none),
# every page of the directory read; raises when any page cannot be.
StaffReader = Callable[[str], dict[str, str]]


def sync_agency(session: Session, agency_code: str, read_staff: StaffReader) -> RosterResult:
    """Read the agency's staff whole, then replace its roster; the caller commits.
    Nothing is written before the last page is in: a directory failing half-way
    leaves the previous roster in place."""
    staff = read_staff(agency_code)
    listed, removed = roster.replace_agency(session, agency_code, staff)
    return RosterResult(agency_code=agency_code, listed=listed, removed=removed)
