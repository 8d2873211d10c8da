"""Requirement policies: national rows per year and agency overrides."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from services.common.decimals import Decimal2
from services.training.domain.topics import Topic
from services.training.schemas.common import Code, Hours, Strict

Version = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._+:-]{1,64}$")]


class TopicRequirementIn(Strict):
    code: Code
    topics: list[Topic] = Field(min_length=1, max_length=8)
    minimum_hours: Hours
    label_zh: Annotated[str, StringConstraints(max_length=100)] = ""
    excluding: list[Topic] = Field(default_factory=list, max_length=8)


class TopicRequirementOut(BaseModel):
    code: str
    topics: list[Topic]
    minimum_hours: Decimal2
    label_zh: str
    excluding: list[Topic]


class NationalPolicyIn(Strict):
    version: Version
    total_hours: Hours = Decimal(20)
    ai_minimum_hours: Hours = Decimal(0)
    ai_target_basic_hours: Hours = Decimal(3)
    ai_target_advanced_hours: Hours = Decimal(3)
    cutoff: date | None = None
    topic_requirements: list[TopicRequirementIn] = Field(max_length=30)


class NationalPolicyOut(BaseModel):
    year: int
    version: str
    builtin: bool = Field(description="True for the rows shipped with renshi, not stored")
    total_hours: Decimal2
    ai_minimum_hours: Decimal2
    ai_target_basic_hours: Decimal2
    ai_target_advanced_hours: Decimal2
    cutoff: date | None
    topic_requirements: list[TopicRequirementOut]
    updated_by: str | None = None
    updated_at: datetime | None = None


class AgencyOverrideIn(Strict):
    version: Version
    total_hours: Hours | None = None
    ai_minimum_hours: Hours | None = None
    ai_target_basic_hours: Hours | None = None
    ai_target_advanced_hours: Hours | None = None
    topic_minimums: dict[Code, Hours] = Field(default_factory=dict, max_length=30)
    extra_requirements: list[TopicRequirementIn] = Field(default_factory=list, max_length=30)
    cutoff_month: int | None = Field(default=None, ge=1, le=12)
    cutoff_day: int | None = Field(default=None, ge=1, le=31)


class AgencyOverrideOut(BaseModel):
    agency_code: str
    from_year: int
    version: str
    total_hours: Decimal2 | None
    ai_minimum_hours: Decimal2 | None
    ai_target_basic_hours: Decimal2 | None
    ai_target_advanced_hours: Decimal2 | None
    topic_minimums: dict[str, Decimal2]
    extra_requirements: list[TopicRequirementOut]
    cutoff_month: int | None
    cutoff_day: int | None
    updated_by: str
    updated_at: datetime


class EffectivePolicyOut(BaseModel):
    year: int
    agency_code: str
    version: str
    total_hours: Decimal2
    ai_minimum_hours: Decimal2
    ai_target_basic_hours: Decimal2
    ai_target_advanced_hours: Decimal2
    cutoff: date
    cutoff_roc: str
    requirements: list[TopicRequirementOut] = Field(
        description="Mandatory topics, then the AI minimum and the two AI targets"
    )
