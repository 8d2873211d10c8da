"""Warning lead times per agency; the row of agency `*` is the default."""

from __future__ import annotations

from sqlmodel import Session, select

from services.certs.models import DEFAULT_AGENCY, WarningLeadTimes


def get(session: Session, agency_code: str) -> WarningLeadTimes | None:
    return session.get(WarningLeadTimes, agency_code)


def effective(session: Session, agency_code: str) -> WarningLeadTimes | None:
    """The agency's own row, else the default."""
    return get(session, agency_code) or get(session, DEFAULT_AGENCY)


def all_rows(session: Session) -> dict[str, list[int]]:
    return {row.agency_code: list(row.lead_days) for row in session.exec(select(WarningLeadTimes))}
