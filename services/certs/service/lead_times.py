"""Warning lead times: an HR officer sets their agency's; agencies without
their own use the default row (`*`: 90, 30 and 7 days)."""

from __future__ import annotations

from sqlmodel import Session

from services.certs.access import WARNINGS_READ, WARNINGS_WRITE
from services.certs.models import DEFAULT_AGENCY, WarningLeadTimes
from services.certs.schemas import LeadTimesIn, LeadTimesOut
from services.certs.store import lead_times as store
from services.common.errors import NotFound
from services.common.principal import Principal
from services.common.reach import check_agency
from services.common.timeutil import now_utc


def _out(agency_code: str, row: WarningLeadTimes) -> LeadTimesOut:
    return LeadTimesOut(
        agency_code=agency_code,
        lead_days=sorted(row.lead_days, reverse=True),
        default=row.agency_code == DEFAULT_AGENCY,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def read(session: Session, who: Principal, agency_code: str) -> LeadTimesOut:
    check_agency(who, WARNINGS_READ, agency_code)
    row = store.effective(session, agency_code)
    if row is None:
        raise NotFound("no lead times are set, not even the default")
    return _out(agency_code, row)


def replace(session: Session, who: Principal, agency_code: str, body: LeadTimesIn) -> LeadTimesOut:
    check_agency(who, WARNINGS_WRITE, agency_code)
    row = store.get(session, agency_code)
    if row is None:
        row = WarningLeadTimes(
            agency_code=agency_code, lead_days=body.lead_days, updated_by=who.sub
        )
    else:
        row.lead_days = body.lead_days
        row.updated_by = who.sub
        row.updated_at = now_utc()
    session.add(row)
    session.flush()
    return _out(agency_code, row)
