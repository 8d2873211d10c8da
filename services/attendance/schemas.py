"""Request and response models of the attendance API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.attendance.domain.worktime import Regime, Violation
from services.common.bounds_dates import BoundedAwareDatetime, BoundedDate, BoundedMonth
from services.common.decimals import Decimal2
from services.common.importing.schemas import ImportProgress

PersonId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
AgencyCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9._-]+$")]
UnitCode = Annotated[str, Field(min_length=1, max_length=32)]
SourceName = Annotated[str, Field(min_length=1, max_length=64)]
SourceId = Annotated[str, Field(min_length=1, max_length=128)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
PersonStatus = Literal["active", "left", "deceased"]
Compensation = Literal["pay", "comp"]


# Every day, month and instant a client sends (bodies, queries, imported rows)
# takes one of these: on the Taipei calendar from ROC 1 (1912-01-01) to
# 2100-12-31, so no rule overflows on it (services/common/bounds_dates.py).
Day = BoundedDate
Month = BoundedMonth
AwareDatetime = BoundedAwareDatetime


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- roster


class RosterRow(_Strict):
    """One person of the roster import (CSV columns or JSON keys)."""

    person_id: PersonId
    agency_code: AgencyCode
    unit_code: UnitCode | None = None
    supervisor_id: PersonId | None = None
    regime: Regime = Regime.REGULAR
    status: PersonStatus = "active"
    hourly_rate: Annotated[Decimal2, Field(ge=0, max_digits=10, decimal_places=2)] = Decimal(0)
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    cycle_anchor: Day | None = None


class RosterPersonOut(BaseModel):
    person_id: str
    agency_code: str
    unit_code: str | None
    supervisor_id: str | None
    regime: str
    status: str
    hourly_rate: Decimal2
    cycle_anchor: date | None
    updated_at: datetime


class ImportRowError(BaseModel):
    row: int = Field(description="Data row number, 1 for the first row after any header")
    field: str
    reason: str
    code: str = Field(description="Why, stably: e.g. missing, not_in_scope, limit:daily_total")


class RuleWarning(BaseModel):
    """A work-hour rule a stored record falls short of: kept, but named."""

    limit: str = Field(description="The rule, e.g. shift_rest")
    regime: Regime
    limit_minutes: int
    actual_minutes: int
    message: str

    @classmethod
    def of(cls, violation: Violation) -> RuleWarning:
        return cls(
            limit=violation.code,
            regime=violation.regime,
            limit_minutes=violation.limit_minutes,
            actual_minutes=violation.actual_minutes,
            message=violation.message,
        )


class ImportRowWarning(RuleWarning):
    row: int


class ImportResult(BaseModel):
    """An import job: its counts, its first errors (all are in its errors.csv)
    and the rule warnings of the rows it kept."""

    job_id: int
    status: str = Field(
        description="queued, running, completed, interrupted (resume by re-posting) or failed"
    )
    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    dry_run: bool
    errors: list[ImportRowError]
    warnings: list[ImportRowWarning] = Field(
        default_factory=list, description="Rows kept that fall short of a work-hour rule"
    )
    failure: str | None = Field(default=None, description="Why a failed job stopped")
    progress: ImportProgress


# ---------------------------------------------------------------- policy


class AgencyPolicyIn(_Strict):
    validity_months: Annotated[int, Field(ge=1, le=24)] = 24
    budget_exhausted: bool = False
    warning_lead_days: Annotated[
        list[Annotated[int, Field(ge=1, le=366)]], Field(max_length=10)
    ] = Field(default_factory=list)


class AgencyPolicyOut(AgencyPolicyIn):
    agency_code: str


class LimitsIn(_Strict):
    """Tightenings of the statutory limits, in minutes per field name."""

    overrides: dict[str, Annotated[int, Field(ge=0)] | None] = Field(default_factory=dict)


class LimitsOut(BaseModel):
    agency_code: str
    regime: Regime
    overrides: dict[str, int | None]
    effective: dict[str, int | None]


class ConsentWindowIn(_Strict):
    starts_on: Day
    ends_on: Day


class ConsentWindowOut(ConsentWindowIn):
    id: int
    person_id: str


# --------------------------------------------------------------- records


class AttendanceRecordIn(_Strict):
    person_id: PersonId
    day: Day
    clock_in: AwareDatetime | None = None
    clock_out: AwareDatetime | None = None
    normal_minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = None
    is_rest_day: bool | None = None
    source: SourceName = "manual"
    source_id: SourceId | None = None


class AttendanceRecordOut(BaseModel):
    id: int
    person_id: str
    day: date
    clock_in: datetime | None
    clock_out: datetime | None
    normal_minutes: int
    is_rest_day: bool
    source: str
    source_id: str
    warnings: list[RuleWarning] = Field(
        default_factory=list,
        description="Rules the clocked day falls short of, e.g. a rest at a shift change "
        "under the minimum; the day is kept because it records what happened",
    )


class OvertimeIn(_Strict):
    person_id: PersonId | None = Field(
        default=None, description="Defaults to the caller's own person"
    )
    day: Day | None = Field(default=None, description="Taipei day; or give starts_at")
    starts_at: AwareDatetime | None = None
    minutes: Annotated[int, Field(gt=0, le=24 * 60)]
    is_rest_day: bool | None = None
    urgent: bool = False
    assigned_by: PersonId = Field(description="The supervisor who assigned the overtime")
    reason: Reason
    compensation: Compensation
    source: SourceName = "manual"
    source_id: SourceId | None = None


class OvertimeOut(BaseModel):
    id: int
    person_id: str
    agency_code: str
    day: date
    starts_at: datetime | None
    minutes: int
    is_rest_day: bool
    urgent: bool
    assigned_by: str
    reason: str
    compensation: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    source: str
    source_id: str
    grant_id: int | None = None
    reports: list[str] = Field(default_factory=list)


class DecisionIn(_Strict):
    note: Annotated[str, Field(max_length=500)] | None = None


class AuthorityReportOut(BaseModel):
    id: int
    person_id: str
    agency_code: str
    code: str
    regime: str
    period_start: date
    period_end: date
    event_day: date
    threshold_minutes: int
    actual_minutes: int
    message: str


class AttendanceImportRow(_Strict):
    """One clocked day of the attendance import (CSV columns or JSON keys)."""

    source_id: SourceId
    person_id: PersonId
    day: Day
    clock_in: AwareDatetime | None = None
    clock_out: AwareDatetime | None = None
    normal_minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = None
    is_rest_day: bool | None = None


class OvertimeImportRow(_Strict):
    """One overtime record of the overtime import (CSV columns or JSON keys)."""

    source_id: SourceId
    person_id: PersonId
    day: Day | None = None
    starts_at: AwareDatetime | None = None
    minutes: Annotated[int, Field(gt=0, le=24 * 60)]
    is_rest_day: bool | None = None
    urgent: bool = False
    assigned_by: PersonId
    reason: Reason
    compensation: Compensation


# ------------------------------------------------------------- comp time


class GrantOut(BaseModel):
    grant_id: int
    earned_on: date
    expires_on: date
    minutes: int
    remaining: int


class ComptimeBalanceOut(BaseModel):
    person_id: str
    agency_code: str
    as_of: date
    balance_minutes: int = Field(description="Sum of every ledger entry")
    usable_minutes: int = Field(description="Minutes usable on as_of")
    grants: list[GrantOut] = Field(description="Grants with minutes left, earliest expiry first")


class EntryOut(BaseModel):
    id: int
    grant_id: int
    kind: str
    minutes: int
    on_day: date
    agency_code: str
    leave_request_id: int | None
    reason: str | None


class TransferIn(_Strict):
    to_agency: AgencyCode
    on: Day | None = None


class LeaveIn(_Strict):
    person_id: PersonId | None = Field(
        default=None, description="Defaults to the caller's own person"
    )
    starts_at: AwareDatetime = Field(
        description="When the leave starts (an offset required); its Taipei day, "
        "1912-01-01 to 2100-12-31, counts"
    )
    minutes: Annotated[int, Field(gt=0, le=31 * 24 * 60)]


class AllocationOut(BaseModel):
    grant_id: int
    minutes: int
    expires_on: date


class LeaveOut(BaseModel):
    id: int
    person_id: str
    agency_code: str
    starts_at: datetime
    leave_day: date
    minutes: int
    status: str
    requested_by: str
    decided_by: str | None
    decided_on: date | None
    refusal_reason: str | None
    refusal_note: str | None
    allocations: list[AllocationOut] = Field(default_factory=list)


class RefusalIn(_Strict):
    reason: Literal["business_necessity", "other"]
    note: Reason


# ------------------------------------------------------------ settlement


class SettlementOut(BaseModel):
    id: int
    person_id: str
    agency_code: str
    grant_id: int
    minutes: int
    outcome: str
    reason: str
    hourly_rate: Decimal2
    amount: Decimal2
    expired_on: date


# --------------------------------------------------------------- notices


class NoticeOut(BaseModel):
    id: int
    kind: str
    issued_on: date
    subject: str
    body: dict[str, Any]


# --------------------------------------------------------------- reports


class PersonMinutes(BaseModel):
    person_id: str
    minutes: int


class PersonOvertime(BaseModel):
    person_id: str
    minutes: int
    over_60h: bool = Field(description="Over the month's 60 h limit")
    care_45h: bool = Field(description="At or above 45 h: on the care list")


class MonthlyOvertimeReport(BaseModel):
    agency_code: str
    month: str
    people: int
    total_minutes: int
    over_limit: list[PersonMinutes] = Field(description="Over 60 h in the month")
    needs_care: list[PersonMinutes] = Field(description="At or above 45 h: proactive care")
    rows: list[PersonOvertime] = Field(
        default_factory=list,
        description="Everyone with overtime in the month, most hours first: the rows "
        "of the CSV and XLSX files",
    )


class BalanceRow(BaseModel):
    person_id: str
    balance_minutes: int
    expiring_by_month: dict[str, int]
    hourly_rate: Decimal2
    exposure: Decimal2 = Field(description="Balance valued at the hourly rate (NT$), for budgeting")


class BalanceReport(BaseModel):
    agency_code: str
    as_of: date
    months: list[str]
    rows: list[BalanceRow]


# ------------------------------------------------------- settlement queue

SettlementRule = Literal["paid", "commendation_budget_exhausted", "paid_left_or_deceased"]


class SettlementRefusalOut(BaseModel):
    """The comp-leave refusal a settlement rests on."""

    leave_request_id: int
    reason: str = Field(description="business_necessity")
    note: str | None = None
    refused_on: date | None = None
    refused_by: str | None = None


class SettlementEntry(SettlementOut):
    """An entry of the settlement queue with the rule that applied: `paid`
    (refused for business necessity, budget available),
    `commendation_budget_exhausted` (the agency marked its budget exhausted),
    `paid_left_or_deceased` (the person left or died: always paid)."""

    rule: SettlementRule
    refusal: SettlementRefusalOut | None = Field(
        default=None,
        description="the refusal it rests on; null for settlements made before it was kept",
    )
