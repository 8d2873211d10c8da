"""The columns of an import job and of its row errors, for a service's own tables.

As with notices, the kernel declares no table: a service subclasses its table
base first, then these::

    class ImportJob(TrainingTable, StoredImportJob, table=True):
        __tablename__ = "import_jobs"
        __table_args__ = (UniqueConstraint("source", "idempotency_key"),)

    class ImportRowError(TrainingTable, StoredImportError, table=True):
        __tablename__ = "import_errors"
        job_id: int = Field(foreign_key="import_jobs.id", index=True)

Every column is built afresh for each table (no shared `sa_column`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, text
from sqlmodel import Field, SQLModel

from services.common.timestamps import UtcDateTime
from services.common.timeutil import now_utc

# queued: spooled, waiting for a worker; failed: a queued job that stopped on an
# error (its `failure` says which); interrupted: a request's job cut off, resumed
# by re-posting the same file with the same idempotency key.
JOB_STATUSES = ("queued", "running", "completed", "interrupted", "failed")


class StoredImportJob(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    # What the rows are (a platform, "roster", "persons"…): with the key, unique.
    source: str = Field(max_length=32)
    format: str = Field(max_length=8)  # csv | jsonl
    encoding: str = Field(max_length=16)  # the codec, e.g. utf-8 or cp950
    dry_run: bool = False
    idempotency_key: str | None = Field(default=None, max_length=128)
    status: str = Field(max_length=16)  # one of JOB_STATUSES
    created_by: str = Field(max_length=128)
    # The agencies the starting account imported for (sorted codes): who else
    # may read the job.
    agency_scope: list[str] = Field(
        default_factory=list,
        sa_type=JSON,
        nullable=False,
        sa_column_kwargs={"server_default": text("'[]'")},
    )
    created_at: datetime = Field(default_factory=now_utc, sa_type=UtcDateTime, nullable=False)
    # Refreshed at every batch commit: a running job whose heartbeat is old was
    # left by a crashed process and may be resumed.
    heartbeat_at: datetime = Field(default_factory=now_utc, sa_type=UtcDateTime, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    # The last data row whose batch was committed, and a digest of the lines up
    # to it: a resumed upload must repeat them byte for byte.
    committed_row: int = 0
    committed_digest: str = Field(default="", max_length=64)
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    # A job run by a worker from the body spooled to a file (`queue`), not by the
    # request that brought it.
    spooled: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # The body's size when known (Content-Length, or the spooled file), and how
    # much of it the rows committed so far came from.
    bytes_total: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    bytes_read: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": text("0")}
    )
    # The worker holding the job's lease (refreshed in heartbeat_at), once the
    # job has ended the one that ran it; and why a job failed, in words that
    # name no value of the file.
    worker: str | None = Field(default=None, max_length=64)
    failure: str | None = Field(default=None, max_length=300)


class StoredImportError(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    row: int
    field: str = Field(max_length=64)
    reason: str = Field(max_length=300)
    code: str = Field(max_length=32)
