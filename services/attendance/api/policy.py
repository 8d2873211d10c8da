"""An agency's own settings: comp-time validity, budget state, warning lead
times, tightened work-hour limits per regime, and seasonal consent windows."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

import dataclasses

from fastapi import APIRouter

from services.attendance.access import check_agency, person_in_reach, reach
from services.attendance.api.deps import POLICY_READ, POLICY_WRITE, PolicyReader, PolicyWriter
from services.attendance.domain.worktime import Regime, limits_with_overrides
from services.attendance.models import AgencyPolicy, ConsentWindow, LimitOverride
from services.attendance.schemas import (
    AgencyPolicyIn,
    AgencyPolicyOut,
    ConsentWindowIn,
    ConsentWindowOut,
    LimitsIn,
    LimitsOut,
)
from services.attendance.store import policy
from services.common.db import SessionDep
from services.common.errors import FieldError, Invalid
from services.common.timeutil import now_utc

router = APIRouter(tags=["policy"])


def _policy_out(row: AgencyPolicy) -> AgencyPolicyOut:
    return AgencyPolicyOut(
        agency_code=row.agency_code,
        validity_months=row.validity_months,
        budget_exhausted=row.budget_exhausted,
        warning_lead_days=list(row.warning_lead_days or []),
    )


@router.get(
    "/agencies/{agency_code}/policy",
    summary="An agency's comp-time policy",
    response_model=AgencyPolicyOut,
)
def get_agency_policy(
    agency_code: str, session: SessionDep, principal: PolicyReader
) -> AgencyPolicyOut:
    check_agency(principal, POLICY_READ, agency_code)
    return _policy_out(policy.agency_policy(session, agency_code))


@router.put(
    "/agencies/{agency_code}/policy",
    summary="Set an agency's comp-time validity (≤ 24 months), budget state and lead times",
    response_model=AgencyPolicyOut,
)
def put_agency_policy(
    agency_code: str, body: AgencyPolicyIn, session: SessionDep, principal: PolicyWriter
) -> AgencyPolicyOut:
    check_agency(principal, POLICY_WRITE, agency_code)
    row = policy.stored_policy(session, agency_code) or AgencyPolicy(agency_code=agency_code)
    # A shorter validity applies to grants earned from now on; existing grants
    # keep the clock they were given.
    row.validity_months = body.validity_months
    row.budget_exhausted = body.budget_exhausted
    row.warning_lead_days = sorted(set(body.warning_lead_days))
    row.updated_at = now_utc()
    session.add(row)
    session.flush()
    return _policy_out(row)


def _limits_out(agency_code: str, regime: Regime, overrides: dict[str, int | None]) -> LimitsOut:
    limits = limits_with_overrides(regime, **overrides)
    effective = {k: v for k, v in dataclasses.asdict(limits).items() if k != "regime"}
    return LimitsOut(
        agency_code=agency_code, regime=regime, overrides=overrides, effective=effective
    )


@router.get(
    "/agencies/{agency_code}/limits/{regime}",
    summary="An agency's work-hour limits for one regime (statutory unless tightened)",
    response_model=LimitsOut,
)
def get_limits(
    agency_code: str, regime: Regime, session: SessionDep, principal: PolicyReader
) -> LimitsOut:
    check_agency(principal, POLICY_READ, agency_code)
    row = policy.override_row(session, agency_code, regime)
    return _limits_out(agency_code, regime, dict(row.overrides) if row else {})


@router.put(
    "/agencies/{agency_code}/limits/{regime}",
    summary="Tighten an agency's work-hour limits for one regime (never loosen)",
    response_model=LimitsOut,
)
def put_limits(
    agency_code: str,
    regime: Regime,
    body: LimitsIn,
    session: SessionDep,
    principal: PolicyWriter,
) -> LimitsOut:
    check_agency(principal, POLICY_WRITE, agency_code)
    try:
        out = _limits_out(agency_code, regime, dict(body.overrides))
    except ValueError as exc:
        field = str(exc).split(":")[0]
        raise Invalid(
            str(exc),
            errors=[FieldError(field=f"body.overrides.{field}", reason=str(exc), code="limit")],
        ) from None
    row = policy.override_row(session, agency_code, regime) or LimitOverride(
        agency_code=agency_code, regime=regime.value
    )
    row.overrides = dict(body.overrides)
    row.updated_at = now_utc()
    session.add(row)
    return out


@router.post(
    "/persons/{person_id}/consent-windows",
    summary="Record prior consent for a seasonal worker's months over 60 h",
    response_model=ConsentWindowOut,
    status_code=201,
)
def add_consent_window(
    person_id: str, body: ConsentWindowIn, session: SessionDep, principal: PolicyWriter
) -> ConsentWindowOut:
    person = person_in_reach(session, reach(session, principal, POLICY_WRITE), person_id)
    months = (
        (body.ends_on.year - body.starts_on.year) * 12
        + body.ends_on.month
        - body.starts_on.month
        + 1
    )
    if body.ends_on < body.starts_on or months > 3:
        raise Invalid(
            "a consent window runs forward and touches at most 3 calendar months",
            errors=[FieldError(field="body.ends_on", reason="window too long or reversed")],
        )
    row = ConsentWindow(person_id=person.person_id, starts_on=body.starts_on, ends_on=body.ends_on)
    session.add(row)
    session.flush()
    assert row.id is not None
    return ConsentWindowOut(
        id=row.id, person_id=row.person_id, starts_on=row.starts_on, ends_on=row.ends_on
    )
