"""Tables of the speakers database, on a metadata no other service shares."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Numeric, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from services.common.audit import personal_data_reads_table
from services.common.db import new_registry
from services.common.timeutil import now_utc

_registry = new_registry()
metadata = _registry.metadata


class UtcDateTime(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE; SQLite drops the offset, so values are stored
    in UTC and read back with UTC attached."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError("naive datetime: a timezone is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class SpeakersTable(SQLModel, registry=_registry):
    """Base class of every speakers table."""


class Lecturer(SpeakersTable, table=True):
    __tablename__ = "lecturers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    organisation: str = Field(default="", max_length=200)
    expertise: list[str] = Field(sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(
        default_factory=now_utc, sa_column=Column(UtcDateTime(), nullable=False)
    )


class Engagement(SpeakersTable, table=True):
    """A lecturer teaching one session of a class; one row per (class, session, lecturer)
    so that a retried request records it once."""

    __tablename__ = "engagements"
    __table_args__ = (UniqueConstraint("class_ref", "session_number", "lecturer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    class_ref: str = Field(max_length=80, index=True)
    session_number: int
    lecturer_id: int = Field(foreign_key="lecturers.id", index=True)
    agency_code: str = Field(max_length=16, index=True)
    held_on: date
    hours: Decimal = Field(sa_column=Column(Numeric(7, 2), nullable=False))
    topic: str = Field(default="", max_length=300)
    recorded_by: str = Field(max_length=128)
    recorded_at: datetime = Field(
        default_factory=now_utc, sa_column=Column(UtcDateTime(), nullable=False)
    )


personal_data_reads = personal_data_reads_table(metadata)
