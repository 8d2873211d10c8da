"""Agency compliance reports."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from services.common.decimals import Decimal2, Decimal4
from services.training.schemas.records import EvaluationOut, RecordOut


class RequirementRateOut(BaseModel):
    code: str
    applies_to: int
    met_count: int
    share: Decimal4


class TallyOut(BaseModel):
    headcount: int
    compliant_count: int
    compliant_share: Decimal4
    ai_target_met_count: int
    ai_completion_rate: Decimal4 = Field(
        description="AI知能課程學習時數達成率 (3 basic + 3 advanced)"
    )
    requirements: list[RequirementRateOut]


class GapOut(BaseModel):
    code: str
    missing: Decimal2


class ShortfallOut(BaseModel):
    person_id: str
    agency_code: str
    unit_id: str
    hours_short: Decimal2 = Field(description="The largest single gap: at least this many hours")
    gaps: list[GapOut]


class UnitReportOut(BaseModel):
    agency_code: str
    unit_id: str
    tally: TallyOut


class AgencyReportOut(BaseModel):
    agency_code: str
    agencies: list[str] = Field(description="The agencies counted: the agency and subordinates")
    year: int
    as_of: date
    as_of_roc: str
    tally: TallyOut
    shortfalls: list[ShortfallOut]
    units: list[UnitReportOut]


class PersonReportOut(BaseModel):
    evaluation: EvaluationOut
    records: list[RecordOut]
