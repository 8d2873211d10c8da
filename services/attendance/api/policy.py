"""An agency's own settings: comp-time validity, budget state, warning lead
times, tightened work-hour limits per regime, and seasonal consent windows."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from fastapi import APIRouter

from services.attendance.api.deps import PolicyReader, PolicyWriter
from services.attendance.domain.worktime import Regime
from services.attendance.models import AgencyPolicy
from services.attendance.schemas import (
    AgencyPolicyIn,
    AgencyPolicyOut,
    ConsentWindowIn,
    ConsentWindowOut,
    LimitsIn,
    LimitsOut,
)
from services.attendance.service import policy
from services.common.db import SessionDep

router = APIRouter(tags=["policy"])


def _policy_out(row: AgencyPolicy) -> AgencyPolicyOut:
    return AgencyPolicyOut(
        agency_code=row.agency_code,
        validity_months=row.validity_months,
        budget_exhausted=row.budget_exhausted,
        warning_lead_days=list(row.warning_lead_days or []),
    )


def _limits_out(limits: policy.Limits) -> LimitsOut:
    return LimitsOut(
        agency_code=limits.agency_code,
        regime=limits.regime,
        overrides=limits.overrides,
        effective=limits.effective,
    )


@router.get(
    "/agencies/{agency_code}/policy",
    summary="An agency's comp-time policy",
    response_model=AgencyPolicyOut,
)
def get_agency_policy(
    agency_code: str, session: SessionDep, principal: PolicyReader
) -> AgencyPolicyOut:
    return _policy_out(policy.read_policy(session, principal, agency_code))


@router.put(
    "/agencies/{agency_code}/policy",
    summary="Set an agency's comp-time validity (≤ 24 months), budget state and lead times",
    response_model=AgencyPolicyOut,
)
def put_agency_policy(
    agency_code: str, body: AgencyPolicyIn, session: SessionDep, principal: PolicyWriter
) -> AgencyPolicyOut:
    row = policy.set_policy(
        session,
        principal,
        agency_code,
        validity_months=body.validity_months,
        budget_exhausted=body.budget_exhausted,
        warning_lead_days=body.warning_lead_days,
    )
    return _policy_out(row)


@router.get(
    "/agencies/{agency_code}/limits/{regime}",
    summary="An agency's work-hour limits for one regime (statutory unless tightened)",
    response_model=LimitsOut,
)
def get_limits(
    agency_code: str, regime: Regime, session: SessionDep, principal: PolicyReader
) -> LimitsOut:
    return _limits_out(policy.read_limits(session, principal, agency_code, regime))


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
    return _limits_out(
        policy.set_limits(session, principal, agency_code, regime, dict(body.overrides))
    )


@router.post(
    "/persons/{person_id}/consent-windows",
    summary="Record prior consent for a seasonal worker's months over 60 h",
    response_model=ConsentWindowOut,
    status_code=201,
)
def add_consent_window(
    person_id: str, body: ConsentWindowIn, session: SessionDep, principal: PolicyWriter
) -> ConsentWindowOut:
    row = policy.add_consent_window(session, principal, person_id, body.starts_on, body.ends_on)
    assert row.id is not None
    return ConsentWindowOut(
        id=row.id, person_id=row.person_id, starts_on=row.starts_on, ends_on=row.ends_on
    )
