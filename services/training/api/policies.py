"""Requirement policies as data: national rows per year, agency overrides; the
checks every write passes are the use cases' (`service.policies`)."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES
from services.common.pagination import Page, whole_page
from services.common.timeutil import format_roc
from services.training.access import RecordReader, RecordWriter
from services.training.domain.policy import TopicRequirement
from services.training.schemas.common import AgencyCode
from services.training.schemas.policies import (
    AgencyOverrideIn,
    AgencyOverrideOut,
    EffectivePolicyOut,
    NationalPolicyIn,
    NationalPolicyOut,
    TopicRequirementOut,
)
from services.training.service import policies
from services.training.service.policies import NationalView, OverrideView

router = APIRouter(prefix="/policies", tags=["policies"])
YearPath = Annotated[int, Path(ge=1912, le=9999)]


def _requirement_out(req: TopicRequirement) -> TopicRequirementOut:
    return TopicRequirementOut(
        code=req.code,
        topics=sorted(req.topics),
        minimum_hours=req.minimum_hours,
        label_zh=req.label_zh,
        excluding=sorted(req.excluding),
    )


def _national_out(view: NationalView) -> NationalPolicyOut:
    policy, row = view.policy, view.row
    return NationalPolicyOut(
        year=policy.year,
        version=policy.version,
        builtin=view.builtin,
        total_hours=policy.total_hours,
        ai_minimum_hours=policy.ai_minimum_hours,
        ai_target_basic_hours=policy.ai_target_basic_hours,
        ai_target_advanced_hours=policy.ai_target_advanced_hours,
        cutoff=policy.cutoff,
        topic_requirements=[_requirement_out(r) for r in policy.topic_requirements],
        updated_by=None if row is None else row.updated_by,
        updated_at=None if row is None else row.updated_at,
    )


def _override_out(view: OverrideView) -> AgencyOverrideOut:
    row, override = view.row, view.override
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


@router.get(
    "/national",
    summary="National requirement rows, by year",
    response_model=Page[NationalPolicyOut],
)
def list_national(session: SessionDep, _who: RecordReader) -> Page[NationalPolicyOut]:
    return whole_page([_national_out(view) for view in policies.national(session)])


@router.get(
    "/national/{year}",
    summary="The national requirements in force in a year",
    response_model=NationalPolicyOut,
)
def get_national(year: YearPath, session: SessionDep, _who: RecordReader) -> NationalPolicyOut:
    return _national_out(policies.national_of(session, year))


@router.put(
    "/national/{year}",
    summary="Set the national requirements of a year",
    response_model=NationalPolicyOut,
)
def put_national(
    year: YearPath, body: NationalPolicyIn, session: SessionDep, who: RecordWriter
) -> NationalPolicyOut:
    return _national_out(policies.put_national(session, who, year, body))


@router.delete(
    "/national/{year}",
    summary="Remove a stored national row (the built-in row applies again)",
    status_code=204,
)
def delete_national(year: YearPath, session: SessionDep, who: RecordWriter) -> Response:
    policies.delete_national(session, who, year)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/agencies/{agency_code}/overrides",
    summary="An agency's overrides",
    response_model=Page[AgencyOverrideOut],
)
def list_overrides(
    agency_code: Annotated[AgencyCode, Path()], session: SessionDep, _who: RecordReader
) -> Page[AgencyOverrideOut]:
    return whole_page([_override_out(view) for view in policies.overrides(session, agency_code)])


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
    return _override_out(policies.put_override(session, who, agency_code, from_year, body))


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
    policies.delete_override(session, who, agency_code, from_year)
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
    policy = policies.effective(session, agency_code, year)
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
