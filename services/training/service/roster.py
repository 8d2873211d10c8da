"""The roster: an agency's staff list replaced as sent (`PUT /roster/agencies/{code}`),
or with the directory's persons in service, the one use case behind
`POST /roster/agencies/{code}/sync` (read on the caller's behalf) and the
nightly `training.sync-rosters` job (read as training itself)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from services.common.principal import Principal
from services.training.access import RECORDS_WRITE, check_agency
from services.training.clients import Peers
from services.training.schemas.roster import RosterResult
from services.training.store import ai_hours, roster

# agency code → the agency's persons in service (person id → unit id, "" for none),
# every page of the directory read; raises when any page cannot be.
StaffReader = Callable[[str], dict[str, str]]


def replace(
    session: Session, who: Principal, agency_code: str, staff: dict[str, str]
) -> RosterResult:
    """Make the agency's roster exactly `staff` (person id → unit id)."""
    check_agency(who, RECORDS_WRITE, agency_code)
    return _replace(session, agency_code, staff)


def sync_for(session: Session, who: Principal, peers: Peers, agency_code: str) -> RosterResult:
    """`sync_agency` on a person's behalf: the directory read with their token."""
    check_agency(who, RECORDS_WRITE, agency_code)
    return sync_agency(session, agency_code, peers.directory().agency_staff)


def sync_agency(session: Session, agency_code: str, read_staff: StaffReader) -> RosterResult:
    """Read the agency's staff whole, then replace its roster; the caller commits.
    Nothing is written before the last page is in: a directory failing half-way
    leaves the previous roster in place."""
    staff = read_staff(agency_code)
    return _replace(session, agency_code, staff)


def _replace(session: Session, agency_code: str, staff: dict[str, str]) -> RosterResult:
    done = roster.replace_agency(session, agency_code, staff)
    # The AI-hours feed carries each person's roster place: a move is a change
    # the certs service must pull, though no hours changed. Last before the
    # caller's commit, holding the feed's stamp lock until then.
    ai_hours.restamp(session, done.moved)
    return RosterResult(agency_code=agency_code, listed=done.listed, removed=done.removed)
