"""Learning records, their history, and one person's evaluation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from services.common.decimals import Decimal2
from services.common.ids import Id
from services.training.domain.topics import Topic
from services.training.schemas.common import PositiveHours, Reason, Strict


class RecordOut(BaseModel):
    id: int
    source: str
    external_id: str
    person_id: str
    agency_code: str
    unit_id: str
    course_id: int
    course_title: str
    category_code: str
    topics: list[Topic]
    is_digital: bool
    hours: Decimal2
    completed_on: date
    completed_on_roc: str = Field(description="The same day in ROC form, e.g. 115/03/02")
    completed_at: datetime | None
    year: int
    withdrawn: bool
    version: int
    updated_at: datetime


class CorrectionIn(Strict):
    """Only the fields sent change; the reason is kept in the history."""

    hours: PositiveHours | None = None
    completed_on: date | None = None
    course_id: Id | None = None
    reason: Reason


class WithdrawalIn(Strict):
    reason: Reason


class HistoryOut(BaseModel):
    version: int
    action: str
    at: datetime
    actor: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any]


class RequirementOut(BaseModel):
    code: str
    kind: str
    label_zh: str
    required: Decimal2
    completed: Decimal2
    missing: Decimal2
    met: bool
    projected: Decimal2
    on_track: bool


class EvaluationOut(BaseModel):
    person_id: str
    agency_code: str
    year: int
    as_of: date
    as_of_roc: str
    cutoff: date
    cutoff_roc: str
    policy_version: str
    compliant: bool
    ai_target_met: bool
    projected_compliant: bool
    projected_ai_target_met: bool
    counted_hours: Decimal2
    counted_records: int
    digital_hours: Decimal2
    after_cutoff_hours: Decimal2
    requirements: list[RequirementOut]
