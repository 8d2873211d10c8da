"""Request and response models of the AI talent profile: roles by duties, the
learning-path stage, the readiness view and promotion points."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from services.certs.domain.catalogue import Kind, TalentRole
from services.certs.domain.promotion_points import ScoringItem
from services.common.decimals import Decimal2, DecimalOnTheWire

RequiredReason = Annotated[str, Field(min_length=1, max_length=500)]


def _hundredths(value: Decimal) -> Decimal:
    # Written back as given to two places ("4" is "4.00"), as hours are elsewhere.
    return value.quantize(Decimal("0.01"))


# Points and hours a table may name: far above any published cap.
Points = Annotated[
    Decimal,
    Field(ge=0, le=1000, max_digits=6, decimal_places=2),
    AfterValidator(_hundredths),
    DecimalOnTheWire(2),
]
Hours = Annotated[
    Decimal,
    Field(gt=0, le=10000, max_digits=7, decimal_places=2),
    AfterValidator(_hundredths),
    DecimalOnTheWire(2),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LevelName(StrEnum):
    """The rules' three levels; each catalogue version keeps one as its `level_rank`
    beside the issuer's words."""

    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


# --------------------------------------------------------------- roles by duties


class TalentRoleAssign(_Strict):
    role: TalentRole
    reason: RequiredReason = Field(description="Why the person's duties make them this talent")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a reason is required")
        return value.strip()


class TalentRoleEnd(_Strict):
    reason: RequiredReason = Field(description="Why the role ends")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a reason is required")
        return value.strip()


class TalentRoleOut(BaseModel):
    id: int
    person_id: str
    agency_code: str
    role: TalentRole
    reason: str
    assigned_by: str
    assigned_at: datetime
    ended_by: str | None
    ended_at: datetime | None
    end_reason: str | None
    live: bool = Field(description="True while the role has not been ended")


# --------------------------------------------------------------- stage and readiness


class CountedCertificate(BaseModel):
    certificate_id: int
    catalogue_code: str
    name: str
    kind: Kind
    level: str = Field(description="The catalogue's level as written")
    rules_level: LevelName = Field(
        description="The catalogue version's `level_rank`: the rank the rules compare"
    )
    verified_on: date
    last_valid_on: date | None = Field(description="Its last valid day; null: it does not lapse")


class AiHoursFigures(BaseModel):
    year: int
    ai_hours: Decimal2
    ai_basic_hours: Decimal2
    ai_advanced_hours: Decimal2


class StageOut(BaseModel):
    person_id: str
    on: date = Field(description="The Taipei day certificates are counted as valid on")
    year: int = Field(description="The year whose AI hours count")
    stage: Literal["entry", "advanced", "hands_on"]
    stage_zh: str
    reason: str = Field(description="The reason of the rule row that gave the stage")
    rule: int = Field(description="Index of that row in the rules")
    rules: Literal["default", "agency"] = Field(
        description="Which rules: the default `STAGE_RULES`, or the agency's own"
    )
    roles: list[TalentRole] = Field(description="The person's live roles, which rows may ask for")
    ai_hours: AiHoursFigures = Field(description="The stored copy of training's figures")
    ai_hours_pulled_at: datetime | None = Field(
        description="When the nightly pull last stored them; null: never (zeros used)"
    )
    counted: list[CountedCertificate] = Field(description="Certificates the row counted")
    valid_certificates: list[CountedCertificate] = Field(
        description="Every verified certificate valid on the day"
    )


class ReadinessOut(BaseModel):
    person_id: str
    agency_code: str
    on: date
    year: int
    certificates: list[CountedCertificate] = Field(
        description="Verified certificates valid on the day"
    )
    ai_hours: AiHoursFigures | None = Field(
        description="The person's AI hours of the year; null when training could not be asked "
        "and no stored copy exists"
    )
    ai_hours_source: Literal["training", "stored", "unavailable"] = Field(
        description="`training`: asked live; `stored`: training could not be reached, the "
        "nightly pull's copy; `unavailable`: neither"
    )
    ai_hours_pulled_at: datetime | None = Field(
        description="When the stored copy was pulled (source `stored`)"
    )
    ai_hours_unavailable_reason: str | None = Field(
        description="Why training could not be asked, when it could not"
    )


# --------------------------------------------------------------- promotion points


class CertificatePointsIn(_Strict):
    kind: Kind
    level: LevelName
    points: Points
    item: ScoringItem


class HourBandIn(_Strict):
    min_hours: Hours = Field(description="AI hours of the year at least this")
    points: Points
    item: ScoringItem


class PointsCaps(_Strict):
    professional_ability: Points = Field(description="專業或技術能力: the item's cap")
    training: Points = Field(description="訓練進修: the item's cap")


class PointsTableIn(_Strict):
    certificates: Annotated[list[CertificatePointsIn], Field(max_length=12)] = Field(
        default_factory=list, description="Points by certificate kind and level"
    )
    hour_bands: Annotated[list[HourBandIn], Field(max_length=20)] = Field(
        default_factory=list,
        description="Points by AI hours of the year: rising in hours, never falling in points; "
        "the highest band reached counts",
    )
    caps: PointsCaps


class CertificatePointsOut(BaseModel):
    kind: Kind
    level: LevelName
    points: Decimal2
    item: ScoringItem


class HourBandOut(BaseModel):
    min_hours: Decimal2
    points: Decimal2
    item: ScoringItem


class PointsCapsOut(BaseModel):
    professional_ability: Decimal2
    training: Decimal2


class PointsTableOut(BaseModel):
    agency_code: str
    year: int
    certificates: list[CertificatePointsOut]
    hour_bands: list[HourBandOut]
    caps: PointsCapsOut
    version: int = Field(description="How many times the table was set")
    updated_by: str
    updated_at: datetime


class PointsLineOut(BaseModel):
    item: ScoringItem | None = Field(description="Null: the line earns nothing; see its reason")
    points: Decimal2
    reason: str
    certificate_id: int | None = None


class ItemPointsOut(BaseModel):
    item: ScoringItem
    item_zh: str
    earned: Decimal2 = Field(description="The item's lines added up")
    cap: Decimal2
    awarded: Decimal2 = Field(description="What is awarded: never more than the cap")
    capped: bool = Field(description="True when the cap cut the earned points")


class PersonPointsOut(BaseModel):
    person_id: str
    agency_code: str
    year: int
    on: date = Field(description="The scoring day: certificates valid on it count")
    table_version: int
    ai_hours: AiHoursFigures
    ai_hours_pulled_at: datetime | None
    lines: list[PointsLineOut]
    items: list[ItemPointsOut]
    total: Decimal2


# --------------------------------------------------------------- stage rules

MinHours = Annotated[
    Decimal,
    Field(ge=0, le=10000, max_digits=7, decimal_places=2),
    AfterValidator(_hundredths),
    DecimalOnTheWire(2),
]


class StageRuleIn(_Strict):
    """One row: when every condition given holds, the person has reached `stage`."""

    stage: Literal["entry", "advanced", "hands_on"]
    reason: Annotated[str, Field(min_length=1, max_length=300)]
    min_ai_hours: MinHours | None = Field(default=None, description="AI hours of the year")
    min_advanced_hours: MinHours | None = Field(default=None, description="Of them advanced")
    certificate_kinds: Annotated[list[Kind], Field(max_length=4)] = Field(
        default_factory=list,
        description="A valid certificate of one of these kinds at `min_level` or above",
    )
    min_level: LevelName = LevelName.BASIC
    roles: Annotated[list[TalentRole], Field(max_length=4)] = Field(
        default_factory=list, description="Only for persons holding one of these roles"
    )


class StageRulesIn(_Strict):
    rules: Annotated[list[StageRuleIn], Field(min_length=1, max_length=20)] = Field(
        description="Read top to bottom: from the highest stage down, the last row asking "
        "for nothing"
    )


class StageRuleOut(BaseModel):
    stage: Literal["entry", "advanced", "hands_on"]
    reason: str
    min_ai_hours: Decimal2 | None
    min_advanced_hours: Decimal2 | None
    certificate_kinds: list[Kind]
    min_level: LevelName
    roles: list[TalentRole]


class StageRulesOut(BaseModel):
    agency_code: str
    default: bool = Field(description="True when the agency has none of its own")
    rules: list[StageRuleOut]
    version: int = Field(description="How many times the agency set them; 0 for the default")
    updated_by: str | None
    updated_at: datetime | None
