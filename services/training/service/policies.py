"""Requirement policies as data: national rows per year, agency overrides.

Every write is checked by the domain constructors (and an override against the
national floor of its first year) before it is stored, so a stored policy always
resolves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from services.common.errors import Forbidden, Invalid, NotFound
from services.common.principal import Principal
from services.training.access import RECORDS_WRITE, check_agency
from services.training.domain.policy import (
    NATIONAL_POLICIES,
    AgencyOverride,
    RequirementPolicy,
    TopicRequirement,
    apply_override,
    national_policy,
)
from services.training.models import AgencyOverrideRow, NationalPolicyRow
from services.training.schemas.policies import (
    AgencyOverrideIn,
    NationalPolicyIn,
    TopicRequirementIn,
)
from services.training.service import compliance
from services.training.store import policies


@dataclass(frozen=True)
class NationalView:
    """A year's national policy; `builtin` when the shipped row applies, `row` the
    stored one when there is one."""

    policy: RequirementPolicy
    builtin: bool
    row: NationalPolicyRow | None


@dataclass(frozen=True)
class OverrideView:
    row: AgencyOverrideRow
    override: AgencyOverride


def _requirement(item: TopicRequirementIn) -> TopicRequirement:
    return TopicRequirement(
        code=item.code,
        topics=frozenset(item.topics),
        minimum_hours=item.minimum_hours,
        label_zh=item.label_zh,
        excluding=frozenset(item.excluding),
    )


def _override_view(row: AgencyOverrideRow) -> OverrideView:
    return OverrideView(row, policies.override_from_row(row))


def _national_writer(who: Principal) -> None:
    # National rows are the DGPA's: an agency-scoped officer may not change them.
    if not who.has(RECORDS_WRITE):
        raise Forbidden("national policies need the unscoped training:records:write")


def national(session: Session) -> list[NationalView]:
    """Every year with a national row, built-in or stored, in year order."""
    stored = {row.year: row for row in policies.national_rows(session)}
    return [
        NationalView(policy, year not in stored, stored.get(year))
        for year, policy in sorted(policies.national_table(session).items())
    ]


def national_of(session: Session, year: int) -> NationalView:
    row = policies.get_national(session, year)
    try:
        policy = national_policy(year, policies.national_table(session))
    except ValueError:
        raise NotFound("no national policy applies to this year") from None
    return NationalView(policy, row is None and year in NATIONAL_POLICIES, row)


def put_national(
    session: Session, who: Principal, year: int, body: NationalPolicyIn
) -> NationalView:
    _national_writer(who)
    try:
        policy = RequirementPolicy(
            year=year,
            version=body.version,
            topic_requirements=tuple(_requirement(r) for r in body.topic_requirements),
            total_hours=body.total_hours,
            ai_minimum_hours=body.ai_minimum_hours,
            ai_target_basic_hours=body.ai_target_basic_hours,
            ai_target_advanced_hours=body.ai_target_advanced_hours,
            cutoff=body.cutoff,
        )
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    row = policies.put_national(session, policy, who.sub)
    return NationalView(policy, False, row)


def delete_national(session: Session, who: Principal, year: int) -> None:
    _national_writer(who)
    row = policies.get_national(session, year)
    if row is None:
        raise NotFound("no stored national row for this year")
    policies.delete_national(session, row)


def overrides(session: Session, agency_code: str) -> list[OverrideView]:
    return [_override_view(row) for row in policies.overrides_of(session, [agency_code])]


def put_override(
    session: Session, who: Principal, agency_code: str, from_year: int, body: AgencyOverrideIn
) -> OverrideView:
    check_agency(who, RECORDS_WRITE, agency_code)
    if (body.cutoff_month is None) != (body.cutoff_day is None):
        raise Invalid("send cutoff_month and cutoff_day together")
    cutoff = None
    if body.cutoff_month is not None and body.cutoff_day is not None:
        cutoff = (body.cutoff_month, body.cutoff_day)
    try:
        override = AgencyOverride(
            agency_id=agency_code,
            from_year=from_year,
            version=body.version,
            total_hours=body.total_hours,
            ai_minimum_hours=body.ai_minimum_hours,
            ai_target_basic_hours=body.ai_target_basic_hours,
            ai_target_advanced_hours=body.ai_target_advanced_hours,
            topic_minimums=dict(body.topic_minimums),
            extra_requirements=tuple(_requirement(r) for r in body.extra_requirements),
            cutoff_month_day=cutoff,
        )
        # Refused now rather than when a report first meets it.
        apply_override(national_policy(from_year, policies.national_table(session)), override)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    return _override_view(policies.put_override(session, override, who.sub))


def delete_override(session: Session, who: Principal, agency_code: str, from_year: int) -> None:
    check_agency(who, RECORDS_WRITE, agency_code)
    row = policies.get_override(session, agency_code, from_year)
    if row is None:
        raise NotFound("no such override")
    policies.delete_override(session, row)


def effective(session: Session, agency_code: str, year: int) -> RequirementPolicy:
    """The requirements an agency's staff are held to in `year`."""
    return compliance.policy_for(session, agency_code, year)
