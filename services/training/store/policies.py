"""Requirement policies as rows: national rows per year (replacing the built-in row
of that year) and agency overrides, converted to and from the domain objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from services.common.timeutil import now_utc
from services.training.domain.policy import (
    NATIONAL_POLICIES,
    AgencyOverride,
    RequirementPolicy,
    TopicRequirement,
)
from services.training.domain.topics import Topic
from services.training.models import AgencyOverrideRow, NationalPolicyRow


def requirement_to_json(req: TopicRequirement) -> dict[str, Any]:
    return {
        "code": req.code,
        "topics": sorted(t.value for t in req.topics),
        "minimum_hours": str(req.minimum_hours),
        "label_zh": req.label_zh,
        "excluding": sorted(t.value for t in req.excluding),
    }


def requirement_from_json(data: Mapping[str, Any]) -> TopicRequirement:
    return TopicRequirement(
        code=str(data["code"]),
        topics=frozenset(Topic(t) for t in data["topics"]),
        minimum_hours=Decimal(str(data["minimum_hours"])),
        label_zh=str(data.get("label_zh", "")),
        excluding=frozenset(Topic(t) for t in data.get("excluding", ())),
    )


def national_from_row(row: NationalPolicyRow) -> RequirementPolicy:
    return RequirementPolicy(
        year=row.year,
        version=row.version,
        topic_requirements=tuple(requirement_from_json(r) for r in row.topic_requirements),
        total_hours=Decimal(row.total_hours),
        ai_minimum_hours=Decimal(row.ai_minimum_hours),
        ai_target_basic_hours=Decimal(row.ai_target_basic_hours),
        ai_target_advanced_hours=Decimal(row.ai_target_advanced_hours),
        cutoff=row.cutoff,
    )


def override_from_row(row: AgencyOverrideRow) -> AgencyOverride:
    cutoff = None
    if row.cutoff_month is not None and row.cutoff_day is not None:
        cutoff = (row.cutoff_month, row.cutoff_day)
    return AgencyOverride(
        agency_id=row.agency_code,
        from_year=row.from_year,
        version=row.version,
        total_hours=row.total_hours,
        ai_minimum_hours=row.ai_minimum_hours,
        ai_target_basic_hours=row.ai_target_basic_hours,
        ai_target_advanced_hours=row.ai_target_advanced_hours,
        topic_minimums={k: Decimal(v) for k, v in row.topic_minimums.items()},
        extra_requirements=tuple(requirement_from_json(r) for r in row.extra_requirements),
        cutoff_month_day=cutoff,
    )


def national_rows(session: Session) -> list[NationalPolicyRow]:
    return list(session.scalars(select(NationalPolicyRow).order_by(col(NationalPolicyRow.year))))


def national_table(session: Session) -> dict[int, RequirementPolicy]:
    """The built-in rows, replaced year by year by stored ones."""
    table = dict(NATIONAL_POLICIES)
    for row in national_rows(session):
        table[row.year] = national_from_row(row)
    return table


def get_national(session: Session, year: int) -> NationalPolicyRow | None:
    return session.get(NationalPolicyRow, year)


def put_national(session: Session, policy: RequirementPolicy, actor: str) -> NationalPolicyRow:
    row = session.get(NationalPolicyRow, policy.year) or NationalPolicyRow(
        year=policy.year,
        version="",
        total_hours=Decimal(0),
        ai_minimum_hours=Decimal(0),
        ai_target_basic_hours=Decimal(0),
        ai_target_advanced_hours=Decimal(0),
        topic_requirements=[],
        updated_by=actor,
    )
    row.version = policy.version
    row.total_hours = policy.total_hours
    row.ai_minimum_hours = policy.ai_minimum_hours
    row.ai_target_basic_hours = policy.ai_target_basic_hours
    row.ai_target_advanced_hours = policy.ai_target_advanced_hours
    row.cutoff = policy.cutoff
    row.topic_requirements = [requirement_to_json(r) for r in policy.topic_requirements]
    row.updated_by = actor
    row.updated_at = now_utc()
    session.add(row)
    session.flush()
    return row


def delete_national(session: Session, row: NationalPolicyRow) -> None:
    session.delete(row)
    session.flush()


def overrides_of(session: Session, agencies: Iterable[str]) -> list[AgencyOverrideRow]:
    return list(
        session.scalars(
            select(AgencyOverrideRow)
            .where(col(AgencyOverrideRow.agency_code).in_(sorted(set(agencies))))
            .order_by(col(AgencyOverrideRow.agency_code), col(AgencyOverrideRow.from_year))
        )
    )


def get_override(session: Session, agency_code: str, from_year: int) -> AgencyOverrideRow | None:
    return session.scalars(
        select(AgencyOverrideRow).where(
            col(AgencyOverrideRow.agency_code) == agency_code,
            col(AgencyOverrideRow.from_year) == from_year,
        )
    ).first()


def put_override(session: Session, override: AgencyOverride, actor: str) -> AgencyOverrideRow:
    row = get_override(session, override.agency_id, override.from_year) or AgencyOverrideRow(
        agency_code=override.agency_id,
        from_year=override.from_year,
        version="",
        topic_minimums={},
        extra_requirements=[],
        updated_by=actor,
    )
    row.version = override.version
    row.total_hours = override.total_hours
    row.ai_minimum_hours = override.ai_minimum_hours
    row.ai_target_basic_hours = override.ai_target_basic_hours
    row.ai_target_advanced_hours = override.ai_target_advanced_hours
    row.topic_minimums = {k: str(v) for k, v in override.topic_minimums.items()}
    row.extra_requirements = [requirement_to_json(r) for r in override.extra_requirements]
    if override.cutoff_month_day is None:
        row.cutoff_month = row.cutoff_day = None
    else:
        row.cutoff_month, row.cutoff_day = override.cutoff_month_day
    row.updated_by = actor
    row.updated_at = now_utc()
    session.add(row)
    session.flush()
    return row


def delete_override(session: Session, row: AgencyOverrideRow) -> None:
    session.delete(row)
    session.flush()
