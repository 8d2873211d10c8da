"""The columns of a stored notice, for a service to put on its own table.

Each service owns its database and its SQLModel registry, so the kernel
defines no table: a service declares one by subclassing its own table base
and `StoredNotice`, in that order (the first base decides the registry)::

    class Notice(AttendanceTable, StoredNotice, table=True):
        __tablename__ = "notices"
        agency_code: str = Field(max_length=16)   # the service's own columns

Every column is built afresh for each table (no shared `sa_column`), so two
services' notice tables can live in one process.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from services.common.timestamps import UtcDateTime
from services.common.timeutil import now_utc

# Room for an exception class name and a status code, never for a message:
# messages of mail servers and HTTP libraries can carry addresses and URLs.
ERROR_LENGTH = 100


class StoredNotice(SQLModel):
    """A message to one recipient, kept for reading in the service and sent by
    webhook and/or e-mail; each channel is marked delivered once it accepted it."""

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=32)
    # Makes a second run of the same job on the same data store nothing new.
    dedupe_key: str = Field(unique=True, max_length=200)
    issued_on: date
    subject: str = Field(max_length=200)
    body: dict[str, object] = Field(default_factory=dict, sa_type=JSON, nullable=True)
    webhook_delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    email_delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Tries per channel, successful or not, and why the last one failed.
    webhook_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    email_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    webhook_error: str | None = Field(default=None, max_length=ERROR_LENGTH)
    email_error: str | None = Field(default=None, max_length=ERROR_LENGTH)
    # Not to be tried before: while a run sends it, the end of that run's
    # claim; after a failure, the moment it failed (so the same run does not
    # try it again, the next one does).
    next_attempt_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=now_utc, sa_type=UtcDateTime)
