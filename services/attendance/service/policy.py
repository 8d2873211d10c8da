"""An agency's own settings (comp-time validity, budget state, warning lead
times, tightened work-hour limits) and seasonal consent windows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from services.attendance.access import (
    POLICY_READ,
    POLICY_WRITE,
    check_agency,
    person_in_reach,
    reach,
)
from services.attendance.domain.worktime import Regime, limits_with_overrides
from services.attendance.models import AgencyPolicy, ConsentWindow, LimitOverride
from services.attendance.store import policy as store
from services.common.errors import FieldError, Invalid
from services.common.principal import Principal
from services.common.timeutil import now_utc


def read_policy(session: Session, principal: Principal, agency_code: str) -> AgencyPolicy:
    """The stored policy, or the default one."""
    check_agency(principal, POLICY_READ, agency_code)
    return store.agency_policy(session, agency_code)


def set_policy(
    session: Session,
    principal: Principal,
    agency_code: str,
    *,
    validity_months: int,
    budget_exhausted: bool,
    warning_lead_days: list[int],
) -> AgencyPolicy:
    check_agency(principal, POLICY_WRITE, agency_code)
    row = store.stored_policy(session, agency_code) or AgencyPolicy(agency_code=agency_code)
    # A shorter validity applies to grants earned from now on; existing grants
    # keep the clock they were given.
    row.validity_months = validity_months
    row.budget_exhausted = budget_exhausted
    row.warning_lead_days = sorted(set(warning_lead_days))
    row.updated_at = now_utc()
    store.save_policy(session, row)
    return row


@dataclass(frozen=True)
class Limits:
    """One regime's limits at an agency: what it tightened, and what applies."""

    agency_code: str
    regime: Regime
    overrides: dict[str, int | None]
    effective: dict[str, Any]


def _limits(agency_code: str, regime: Regime, overrides: dict[str, int | None]) -> Limits:
    limits = limits_with_overrides(regime, **overrides)
    effective = {k: v for k, v in dataclasses.asdict(limits).items() if k != "regime"}
    return Limits(agency_code, regime, overrides, effective)


def read_limits(session: Session, principal: Principal, agency_code: str, regime: Regime) -> Limits:
    check_agency(principal, POLICY_READ, agency_code)
    row = store.override_row(session, agency_code, regime)
    return _limits(agency_code, regime, dict(row.overrides) if row else {})


def set_limits(
    session: Session,
    principal: Principal,
    agency_code: str,
    regime: Regime,
    overrides: dict[str, int | None],
) -> Limits:
    """Tighten the limits; a value looser than the statute is refused."""
    check_agency(principal, POLICY_WRITE, agency_code)
    try:
        out = _limits(agency_code, regime, dict(overrides))
    except ValueError as exc:
        field = str(exc).split(":")[0]
        raise Invalid(
            str(exc),
            errors=[FieldError(field=f"body.overrides.{field}", reason=str(exc), code="limit")],
        ) from None
    row = store.override_row(session, agency_code, regime) or LimitOverride(
        agency_code=agency_code, regime=regime.value
    )
    row.overrides = dict(overrides)
    row.updated_at = now_utc()
    store.save_override(session, row)
    return out


def add_consent_window(
    session: Session, principal: Principal, person_id: str, starts_on: date, ends_on: date
) -> ConsentWindow:
    """Prior consent for a seasonal worker's months over 60 h: at most 3 calendar months."""
    person = person_in_reach(session, reach(session, principal, POLICY_WRITE), person_id)
    months = (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month + 1
    if ends_on < starts_on or months > 3:
        raise Invalid(
            "a consent window runs forward and touches at most 3 calendar months",
            errors=[FieldError(field="body.ends_on", reason="window too long or reversed")],
        )
    row = ConsentWindow(person_id=person.person_id, starts_on=starts_on, ends_on=ends_on)
    store.add_consent_window(session, row)
    return row
