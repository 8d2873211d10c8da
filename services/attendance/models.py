"""Tables of the attendance database, on a metadata no other service shares.

Person facts (agency, unit, supervisor, regime, status, hourly rate) live here
as an imported roster, so limit checks and jobs never call the directory once
per person. The comp-time ledger is append-only: `comp_entries` rows are never
updated or deleted, and every balance is a sum over them.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    Numeric,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from services.common.audit import personal_data_reads_table
from services.common.columns import one_of, utc_column
from services.common.db import new_registry
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.notices import StoredNotice
from services.common.timeutil import now_utc

_registry = new_registry()
metadata = _registry.metadata

REGIMES = ("regular", "shift", "exception", "special_major_project", "seasonal")
PERSON_STATUSES = ("active", "left", "deceased")
COMPENSATIONS = ("pay", "comp")
OVERTIME_STATUSES = ("pending", "approved", "rejected")
LEAVE_STATUSES = ("pending", "approved", "refused", "cancelled")
REFUSAL_REASONS = ("business_necessity", "other")
ENTRY_KINDS = ("grant", "use", "restore", "expire", "settle", "transfer_out", "transfer_in")
OUTCOMES = ("pay", "commendation")


class AttendanceTable(SQLModel, registry=_registry):
    """Base class of every attendance table."""


class RosterPerson(AttendanceTable, table=True):
    """What this service knows about a person, imported from the directory."""

    __tablename__ = "roster_persons"
    __table_args__ = (one_of("regime", REGIMES), one_of("status", PERSON_STATUSES))

    person_id: str = Field(primary_key=True, max_length=64)
    agency_code: str = Field(index=True, max_length=16)
    unit_code: str | None = Field(default=None, max_length=32)
    supervisor_id: str | None = Field(default=None, index=True, max_length=64)
    regime: str = Field(default="regular", max_length=32)
    status: str = Field(default="active", max_length=16)
    hourly_rate: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(10, 2)))
    email: str | None = Field(default=None, max_length=254)
    # First month of the special-major-project 3-month cycles, when fixed.
    cycle_anchor: date | None = None
    source: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class AgencyPolicy(AttendanceTable, table=True):
    """An agency's own choices within the rules."""

    __tablename__ = "agency_policies"
    __table_args__ = (CheckConstraint("validity_months BETWEEN 1 AND 24", name="validity_months"),)

    agency_code: str = Field(primary_key=True, max_length=16)
    validity_months: int = 24
    budget_exhausted: bool = False
    # Extra warnings this many days before a grant's last usable day.
    warning_lead_days: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class LimitOverride(AttendanceTable, table=True):
    """An agency's tightening of one regime's statutory limits (minutes per field)."""

    __tablename__ = "limit_overrides"
    __table_args__ = (UniqueConstraint("agency_code", "regime"), one_of("regime", REGIMES))

    id: int | None = Field(default=None, primary_key=True)
    agency_code: str = Field(max_length=16)
    regime: str = Field(max_length=32)
    overrides: dict[str, int | None] = Field(default_factory=dict, sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class ConsentWindow(AttendanceTable, table=True):
    """Prior consent for a seasonal worker's months over 60 h."""

    __tablename__ = "consent_windows"

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    starts_on: date
    ends_on: date


class AttendanceRecord(AttendanceTable, table=True):
    """A clocked day: the normal minutes worked, and the shift span for shift workers."""

    __tablename__ = "attendance_records"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_attendance_records_person_day", "person_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64)
    agency_code: str = Field(max_length=16)
    day: date
    clock_in: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    clock_out: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    normal_minutes: int
    is_rest_day: bool = False
    source: str = Field(max_length=64)
    source_id: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class OvertimeRecord(AttendanceTable, table=True):
    __tablename__ = "overtime_records"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_overtime_records_person_day", "person_id", "day"),
        Index("ix_overtime_records_agency_day", "agency_code", "day"),
        one_of("compensation", COMPENSATIONS),
        one_of("status", OVERTIME_STATUSES),
        CheckConstraint("minutes > 0", name="minutes"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64)
    agency_code: str = Field(max_length=16)
    day: date
    starts_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    minutes: int
    is_rest_day: bool = False
    urgent: bool = False
    assigned_by: str = Field(max_length=64)
    reason: str = Field(max_length=500)
    compensation: str = Field(max_length=8)
    status: str = Field(default="pending", max_length=16)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decision_note: str | None = Field(default=None, max_length=500)
    source: str = Field(max_length=64)
    source_id: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class AuthorityReport(AttendanceTable, table=True):
    """A case the agency must report to the competent authority (one per period)."""

    __tablename__ = "authority_reports"
    __table_args__ = (UniqueConstraint("person_id", "code", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64)
    agency_code: str = Field(index=True, max_length=16)
    code: str = Field(max_length=32)
    regime: str = Field(max_length=32)
    period_start: date
    period_end: date
    event_day: date
    threshold_minutes: int
    actual_minutes: int
    message: str = Field(max_length=500)
    overtime_id: int | None = Field(default=None, foreign_key="overtime_records.id")
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class ComptimeAnchor(AttendanceTable, table=True):
    """One row per person, locked by every write that moves that person's comp
    time, so two concurrent requests cannot both spend the same minutes."""

    __tablename__ = "comptime_anchors"

    person_id: str = Field(primary_key=True, max_length=64)
    entries: int = 0
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class ComptimeGrant(AttendanceTable, table=True):
    """Comp time earned by one overtime record, on its own clock."""

    __tablename__ = "comptime_grants"
    __table_args__ = (
        Index("ix_comptime_grants_person_expires", "person_id", "expires_on"),
        CheckConstraint("minutes > 0", name="minutes"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64)
    # The agency where it was earned; the entries say where it is held now.
    agency_code: str = Field(max_length=16)
    overtime_id: int | None = Field(default=None, foreign_key="overtime_records.id", unique=True)
    earned_on: date
    minutes: int
    expires_on: date = Field(index=True)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class ComptimeEntry(AttendanceTable, table=True):
    """One signed movement on one grant. Append-only."""

    __tablename__ = "comptime_entries"
    __table_args__ = (
        one_of("kind", ENTRY_KINDS),
        CheckConstraint("minutes <> 0", name="minutes"),
        # Covers a balance read (sum of minutes per grant of one person) and
        # every lookup by person; see store.ledger.person_grants.
        Index("ix_comptime_entries_person_grant", "person_id", "grant_id", "minutes"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64)
    grant_id: int = Field(foreign_key="comptime_grants.id", index=True)
    kind: str = Field(max_length=16)
    minutes: int
    on_day: date
    agency_code: str = Field(max_length=16)
    leave_request_id: int | None = Field(default=None, index=True)
    reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class LeaveRequest(AttendanceTable, table=True):
    __tablename__ = "leave_requests"
    __table_args__ = (
        one_of("status", LEAVE_STATUSES),
        CheckConstraint(
            "refusal_reason IS NULL OR refusal_reason IN ('business_necessity', 'other')",
            name="refusal_reason",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    agency_code: str = Field(index=True, max_length=16)
    starts_at: datetime = Field(sa_column=utc_column())
    leave_day: date
    minutes: int
    status: str = Field(default="pending", max_length=16)
    requested_by: str = Field(max_length=128)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decided_on: date | None = None
    refusal_reason: str | None = Field(default=None, max_length=32)
    refusal_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class Settlement(AttendanceTable, table=True):
    """Expired minutes the agency owes: overtime pay or a commendation."""

    __tablename__ = "settlements"
    __table_args__ = (one_of("outcome", OUTCOMES),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    agency_code: str = Field(index=True, max_length=16)
    grant_id: int = Field(foreign_key="comptime_grants.id", unique=True)
    minutes: int
    outcome: str = Field(max_length=16)
    reason: str = Field(max_length=64)
    hourly_rate: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))
    amount: Decimal = Field(sa_column=Column(Numeric(12, 0), nullable=False))
    expired_on: date
    # The business-necessity refusal the settlement rests on (the earliest
    # that drew on the grant); None on rows settled before it was kept.
    leave_request_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class Notice(AttendanceTable, StoredNotice, table=True):
    """A warning shown at `/me/notices` and delivered by webhook or e-mail
    (the kernel's stored notice, see services.common.notices)."""

    __tablename__ = "notices"

    agency_code: str = Field(max_length=16)


class JobRun(AttendanceTable, table=True):
    """One row per job per Taipei day: the claim that makes one replica run it."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    day: date
    status: str = Field(max_length=16)
    started_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    summary: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON))


# The rule warnings an import job keeps, as many as it reports (the cap of
# `ImportResult.warnings`).
MAX_IMPORT_WARNINGS = 1000


class ImportJob(AttendanceTable, StoredImportJob, table=True):
    """An import (`services.common.importing`); `source` is "attendance",
    "overtime" or "roster".

    `record_source` is the `?source=` the record imports file their rows under
    (None for the roster): a resumed job must be re-posted with the same one.

    `warnings` holds the rule warnings of accepted rows (`ImportRowWarning`s as
    JSON), in row order, the first `MAX_IMPORT_WARNINGS` only. A column on the
    job rather than a table of their own: they are reported whole with the job
    and never read one by one, capped they stay small, and a batch's warnings
    are appended in the same transaction as the batch and its progress, so a
    batch that is rolled back (a crash, a dry run's nothing-kept) leaves no
    warning behind and a resumed job reports each warning once.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (UniqueConstraint("source", "idempotency_key"),)

    record_source: str | None = Field(default=None, max_length=64)
    warnings: list[dict[str, object]] = Field(
        default_factory=list,
        sa_type=JSON,
        nullable=False,
        sa_column_kwargs={"server_default": text("'[]'")},
    )


class ImportRowError(AttendanceTable, StoredImportError, table=True):
    __tablename__ = "import_errors"

    job_id: int = Field(foreign_key="import_jobs.id", index=True)


personal_data_reads = personal_data_reads_table(metadata)
