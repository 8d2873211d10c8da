"""Agency policies, limit overrides and consent windows: the rules' data."""

from __future__ import annotations

from sqlmodel import Session, col, select

from services.attendance.domain.worktime import (
    ConsentWindow,
    Regime,
    WorkHourLimits,
    default_limits,
    limits_with_overrides,
)
from services.attendance.models import AgencyPolicy, LimitOverride
from services.attendance.models import ConsentWindow as ConsentWindowRow


def agency_policy(session: Session, agency_code: str) -> AgencyPolicy:
    """The stored policy, or the default one (24 months, budget available)."""
    stored = session.get(AgencyPolicy, agency_code)
    return stored if stored is not None else AgencyPolicy(agency_code=agency_code)


def stored_policy(session: Session, agency_code: str) -> AgencyPolicy | None:
    return session.get(AgencyPolicy, agency_code)


def override_row(session: Session, agency_code: str, regime: Regime) -> LimitOverride | None:
    return session.exec(
        select(LimitOverride).where(
            col(LimitOverride.agency_code) == agency_code,
            col(LimitOverride.regime) == regime.value,
        )
    ).first()


def limits_for(session: Session, agency_code: str, regime: Regime) -> WorkHourLimits:
    row = override_row(session, agency_code, regime)
    if row is None or not row.overrides:
        return default_limits(regime)
    return limits_with_overrides(regime, **row.overrides)


def consent_windows(session: Session, person_id: str) -> list[ConsentWindow]:
    rows = session.exec(
        select(ConsentWindowRow)
        .where(col(ConsentWindowRow.person_id) == person_id)
        .order_by(col(ConsentWindowRow.starts_on))
    ).all()
    return [ConsentWindow(r.starts_on, r.ends_on) for r in rows]


def all_policies(session: Session) -> list[AgencyPolicy]:
    return list(session.exec(select(AgencyPolicy)).all())


def save_policy(session: Session, row: AgencyPolicy) -> None:
    session.add(row)
    session.flush()


def save_override(session: Session, row: LimitOverride) -> None:
    session.add(row)


def add_consent_window(session: Session, row: ConsentWindowRow) -> None:
    """Store a consent window, flushed so that it has its id."""
    session.add(row)
    session.flush()
