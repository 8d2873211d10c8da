"""Tables of the speakers database, on a metadata no other service shares."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.audit import personal_data_reads_table
from services.common.columns import utc_now_field
from services.common.db import new_registry

_registry = new_registry()
metadata = _registry.metadata


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
    created_at: datetime = utc_now_field()


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
    recorded_at: datetime = utc_now_field()


personal_data_reads = personal_data_reads_table(metadata)
