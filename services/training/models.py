"""Tables of the training database, on a metadata no other service shares."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Computed,
    Index,
    Integer,
    Numeric,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from services.common.audit import personal_data_reads_table
from services.common.columns import utc_column, utc_now_field
from services.common.db import new_registry
from services.common.importing.model import StoredImportError, StoredImportJob

_registry = new_registry()
# Rounded before the cast: SQLite keeps decimals as floating point (1.15 * 100 is
# 114.99999999999999 there). PostgreSQL stores the column; SQLite computes it on
# read and stores it in the indexes that name it.
HOURS_CENTI = "CAST(ROUND(hours * 100) AS INTEGER)"
metadata = _registry.metadata


def _hours(nullable: bool = False) -> Any:
    # Numeric, never float: 0.1 + 0.2 must reach a 0.3 h threshold.
    return Field(sa_column=Column(Numeric(7, 2), nullable=nullable))


class TrainingTable(SQLModel, registry=_registry):
    """Base class of every training table."""


# --- catalogue -----------------------------------------------------------------


class Category(TrainingTable, table=True):
    """A lifelong-learning portal course category (課程類別): data, not code."""

    __tablename__ = "categories"

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)


class Course(TrainingTable, table=True):
    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    external_id: str = Field(max_length=64)
    title: str = Field(max_length=300)
    category_code: str = Field(foreign_key="categories.code", index=True, max_length=32)
    # Sorted, comma-joined Topic values: one string per tag set, so reports can
    # group by it and evaluate each distinct set once.
    topics: str = Field(default="", max_length=300)
    hours: Decimal | None = _hours(nullable=True)
    is_digital: bool = False
    created_at: datetime = utc_now_field()


class TrainingClass(TrainingTable, table=True):
    """A class (班別) an agency runs: sessions, each with its lecturers."""

    __tablename__ = "training_classes"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=300)
    agency_code: str = Field(max_length=16, index=True)
    course_id: int | None = Field(default=None, foreign_key="courses.id", index=True)
    created_by: str = Field(max_length=128)
    created_at: datetime = utc_now_field()


class ClassSession(TrainingTable, table=True):
    __tablename__ = "class_sessions"
    __table_args__ = (UniqueConstraint("class_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_classes.id", index=True)
    number: int
    held_on: date
    hours: Decimal = _hours()
    topic: str = Field(default="", max_length=300)


class SessionLecturer(TrainingTable, table=True):
    """A lecturer of a session, with the engagement the speakers service recorded."""

    __tablename__ = "session_lecturers"
    __table_args__ = (UniqueConstraint("session_id", "lecturer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="class_sessions.id", index=True)
    lecturer_id: int
    engagement_id: int


# --- persons and records --------------------------------------------------------


class RosterPerson(TrainingTable, table=True):
    """The directory facts reports need (agency, unit), copied so that a report
    over 100,000 persons makes no call to the directory."""

    __tablename__ = "roster"

    person_id: str = Field(primary_key=True, max_length=64)
    agency_code: str = Field(max_length=16, index=True)
    unit_id: str = Field(default="", max_length=32)
    refreshed_at: datetime = utc_now_field()


class LearningRecord(TrainingTable, table=True):
    __tablename__ = "learning_records"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        # Agency reports: every column they read, in the order they group by, so
        # the database walks the index alone and never sorts or hashes.
        Index(
            "ix_learning_records_report",
            "agency_code",
            "year",
            "person_id",
            "topic_mask",
            "completed_on",
            "hours_centi",
            "withdrawn",
        ),
        Index("ix_learning_records_person_year", "person_id", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    external_id: str = Field(max_length=64)
    person_id: str = Field(max_length=64)
    # Copied from the roster when written, so reports filter without a join.
    agency_code: str = Field(max_length=16)
    unit_id: str = Field(default="", max_length=32)
    course_id: int = Field(foreign_key="courses.id", index=True)
    # The course's topics as bits (`domain.topics.TOPIC_BITS`), copied when the
    # record is written or moved to another course; courses never change topics.
    topic_mask: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    hours: Decimal = _hours()
    # The same hours in hundredths, computed by the database: reports add integers,
    # which are cheaper to sum and to hand between parallel workers than decimals.
    hours_centi: int | None = Field(
        default=None,
        sa_column=Column(Integer, Computed(HOURS_CENTI, persisted=True), nullable=True),
    )
    completed_on: date  # the Asia/Taipei calendar day
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    year: int  # of completed_on; indexed with agency and person for reports
    withdrawn: bool = False
    # Digest of the imported fields: a re-import compares one value per row.
    digest: str = Field(default="", max_length=32)
    version: int = 1
    created_at: datetime = utc_now_field()
    updated_at: datetime = utc_now_field()


class LearningRecordHistory(TrainingTable, table=True):
    """Append-only: every creation, correction and withdrawal, with who, when, why."""

    __tablename__ = "learning_record_history"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="learning_records.id", index=True)
    version: int
    action: str = Field(max_length=16)  # created | corrected | withdrawn | reimported
    at: datetime = utc_now_field()
    actor: str = Field(max_length=128)
    reason: str = Field(default="", max_length=500)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class AiHours(TrainingTable, table=True):
    """Each person's AI hours (AI知能) of a year, kept up to date by every write of
    learning records, with the moment they last changed: what the certs service
    pulls each night (`GET /ai-hours?changed_since=`), so that it never asks per
    person. Derivable from learning_records at any time (`store.ai_hours.refresh`)."""

    __tablename__ = "ai_hours"
    __table_args__ = (
        # The feed's order and its keyset cursor; also max(changed_at) for the
        # next change's stamp.
        Index("ix_ai_hours_changed", "changed_at", "person_id", "year"),
    )

    person_id: str = Field(primary_key=True, max_length=64)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    # Hundredths of an hour, as learning_records.hours_centi: a record tagged
    # both levels counts as advanced only, so basic + advanced is the AI total.
    basic_centi: int
    advanced_centi: int
    changed_at: datetime = Field(sa_column=utc_column())


# --- requirement policies ----------------------------------------------------------


class NationalPolicyRow(TrainingTable, table=True):
    """A national row for a year; replaces the built-in row of the same year."""

    __tablename__ = "national_policies"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: str = Field(max_length=64)
    total_hours: Decimal = _hours()
    ai_minimum_hours: Decimal = _hours()
    ai_target_basic_hours: Decimal = _hours()
    ai_target_advanced_hours: Decimal = _hours()
    cutoff: date | None = None
    topic_requirements: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(max_length=128)
    updated_at: datetime = utc_now_field()


class AgencyOverrideRow(TrainingTable, table=True):
    __tablename__ = "agency_overrides"
    __table_args__ = (UniqueConstraint("agency_code", "from_year"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_code: str = Field(max_length=16, index=True)
    from_year: int
    version: str = Field(max_length=64)
    total_hours: Decimal | None = _hours(nullable=True)
    ai_minimum_hours: Decimal | None = _hours(nullable=True)
    ai_target_basic_hours: Decimal | None = _hours(nullable=True)
    ai_target_advanced_hours: Decimal | None = _hours(nullable=True)
    topic_minimums: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    extra_requirements: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    cutoff_month: int | None = None
    cutoff_day: int | None = None
    updated_by: str = Field(max_length=128)
    updated_at: datetime = utc_now_field()


# --- imports --------------------------------------------------------------------------


class ImportJob(TrainingTable, StoredImportJob, table=True):
    """A learning-record import (`services.common.importing`); `source` is the
    e-learning platform."""

    __tablename__ = "import_jobs"
    __table_args__ = (UniqueConstraint("source", "idempotency_key"),)


class ImportRowError(TrainingTable, StoredImportError, table=True):
    __tablename__ = "import_errors"

    job_id: int = Field(foreign_key="import_jobs.id", index=True)


# --- scheduled jobs ------------------------------------------------------------


class JobRun(TrainingTable, table=True):
    """One row per job per Taipei day: the claim that makes one replica run it
    (services.common.job_runs)."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    day: date
    status: str = Field(max_length=16)
    started_at: datetime = utc_now_field()
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    summary: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON))


personal_data_reads = personal_data_reads_table(metadata)
