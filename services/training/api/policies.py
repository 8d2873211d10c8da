"""Requirement policies as data: national rows per year, agency overrides.

Every write is checked by the domain constructors (and an override against the
national floor of its first year) before it is stored, so a stored policy always
resolves.
"""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES, Forbidden, Invalid, NotFound
from services.common.principal import Principal
from services.common.timeutil import format_roc
from services.training import compliance
from services.training.access import RECORDS_WRITE, RecordReader, RecordWriter, check_agency
from services.training.domain.policy import (
    NATIONAL_POLICIES,
    AgencyOverride,
    RequirementPolicy,
    TopicRequirement,
    apply_override,
    national_policy,
)
from services.training.models import AgencyOverrideRow
from services.training.schemas.common import AgencyCode
from services.training.schemas.policies import (
    AgencyOverrideIn,
    AgencyOverrideOut,
    EffectivePolicyOut,
    NationalPolicyIn,
    NationalPolicyOut,
    TopicRequirementIn,
    TopicRequirementOut,
)
from services.training.store import policies

router = APIRouter(prefix="/policies", tags=["policies"])
YearPath = Annotated[int, Path(ge=1912, le=9999)]


def _requirement(item: TopicRequirementIn) -> TopicRequirement:
    return TopicRequirement(
        code=item.code,
        topics=frozenset(item.topics),
        minimum_hours=item.minimum_hours,
        label_zh=item.label_zh,
        excluding=frozenset(item.excluding),
    )


def _requirement_out(req: TopicRequirement) -> TopicRequirementOut:
    return TopicRequirementOut(
        code=req.code,
        topics=sorted(req.topics),
        minimum_hours=req.minimum_hours,
        label_zh=req.label_zh,
        excluding=sorted(req.excluding),
    )


def _national_out(
    policy: RequirementPolicy, builtin: bool, row: object = None
) -> NationalPolicyOut:
    return NationalPolicyOut(
        year=policy.year,
        version=policy.version,
        builtin=builtin,
        total_hours=policy.total_hours,
        ai_minimum_hours=policy.ai_minimum_hours,
        ai_target_basic_hours=policy.ai_target_basic_hours,
        ai_target_advanced_hours=policy.ai_target_advanced_hours,
        cutoff=policy.cutoff,
        topic_requirements=[_requirement_out(r) for r in policy.topic_requirements],
        updated_by=getattr(row, "updated_by", None),
        updated_at=getattr(row, "updated_at", None),
    )


def _override_out(row: AgencyOverrideRow) -> AgencyOverrideOut:
    override = policies.override_from_row(row)
    return AgencyOverrideOut(
        agency_code=row.agency_code,
        from_year=row.from_year,
        version=row.version,
        total_hours=row.total_hours,
        ai_minimum_hours=row.ai_minimum_hours,
        ai_target_basic_hours=row.ai_target_basic_hours,
        ai_target_advanced_hours=row.ai_target_advanced_hours,
        topic_minimums={k: Decimal(v) for k, v in row.topic_minimums.items()},
        extra_requirements=[_requirement_out(r) for r in override.extra_requirements],
        cutoff_month=row.cutoff_month,
        cutoff_day=row.cutoff_day,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _national_writer(who: Principal) -> None:
    # National rows are the DGPA's: an agency-scoped officer may not change them.
    if not who.has(RECORDS_WRITE):
        raise Forbidden("national policies need the unscoped training:records:write")


@router.get(
    "/national",
    summary="National requirement rows, by year",
    response_model=list[NationalPolicyOut],
)
def list_national(session: SessionDep, _who: RecordReader) -> list[NationalPolicyOut]:
    stored = {row.year: row for row in policies.national_rows(session)}
    out = []
    for year, policy in sorted(policies.national_table(session).items()):
        out.append(_national_out(policy, year not in stored, stored.get(year)))
    return out


@router.get(
    "/national/{year}",
    summary="The national requirements in force in a year",
    response_model=NationalPolicyOut,
)
def get_national(year: YearPath, session: SessionDep, _who: RecordReader) -> NationalPolicyOut:
    row = policies.get_national(session, year)
    try:
        policy = national_policy(year, policies.national_table(session))
    except ValueError:
        raise NotFound("no national policy applies to this year") from None
    return _national_out(policy, row is None and year in NATIONAL_POLICIES, row)


@router.put(
    "/national/{year}",
    summary="Set the national requirements of a year",
    response_model=NationalPolicyOut,
)
def put_national(
    year: YearPath, body: NationalPolicyIn, session: SessionDep, who: RecordWriter
) -> NationalPolicyOut:
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
    return _national_out(policy, False, row)


@router.delete(
    "/national/{year}",
    summary="Remove a stored national row (the built-in row applies again)",
    status_code=204,
)
def delete_national(year: YearPath, session: SessionDep, who: RecordWriter) -> Response:
    _national_writer(who)
    row = policies.get_national(session, year)
    if row is None:
        raise NotFound("no stored national row for this year")
    policies.delete_national(session, row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/agencies/{agency_code}/overrides",
    summary="An agency's overrides",
    response_model=list[AgencyOverrideOut],
)
def list_overrides(
    agency_code: Annotated[AgencyCode, Path()], session: SessionDep, _who: RecordReader
) -> list[AgencyOverrideOut]:
    return [_override_out(row) for row in policies.overrides_of(session, [agency_code])]


@router.put(
    "/agencies/{agency_code}/overrides/{from_year}",
    summary="Set an agency's stricter requirements from a year on",
    response_model=AgencyOverrideOut,
)
def put_override(
    agency_code: Annotated[AgencyCode, Path()],
    from_year: YearPath,
    body: AgencyOverrideIn,
    session: SessionDep,
    who: RecordWriter,
) -> AgencyOverrideOut:
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
    return _override_out(policies.put_override(session, override, who.sub))


@router.delete(
    "/agencies/{agency_code}/overrides/{from_year}",
    summary="Remove an agency override",
    status_code=204,
)
def delete_override(
    agency_code: Annotated[AgencyCode, Path()],
    from_year: YearPath,
    session: SessionDep,
    who: RecordWriter,
) -> Response:
    check_agency(who, RECORDS_WRITE, agency_code)
    row = policies.get_override(session, agency_code, from_year)
    if row is None:
        raise NotFound("no such override")
    policies.delete_override(session, row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/agencies/{agency_code}/effective",
    summary="The requirements an agency's staff are held to in a year",
    response_model=EffectivePolicyOut,
    responses=CONFLICT_RESPONSES,
)
def get_effective(
    agency_code: Annotated[AgencyCode, Path()],
    session: SessionDep,
    _who: RecordReader,
    year: Annotated[int, Query(ge=1912, le=9999)],
) -> EffectivePolicyOut:
    policy = compliance.policy_for(session, agency_code, year)
    return EffectivePolicyOut(
        year=year,
        agency_code=agency_code,
        version=policy.version,
        total_hours=policy.total_hours,
        ai_minimum_hours=policy.ai_minimum_hours,
        ai_target_basic_hours=policy.ai_target_basic_hours,
        ai_target_advanced_hours=policy.ai_target_advanced_hours,
        cutoff=policy.cutoff_date,
        cutoff_roc=format_roc(policy.cutoff_date),
        requirements=[_requirement_out(r) for r in policy.all_topic_requirements],
    )
