"""The import job as every import route answers it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.common.decimals import Decimal2


class RowErrorOut(BaseModel):
    row: int = Field(description="Data row number, 1 for the first row after any header")
    field: str
    reason: str
    code: str


class ImportProgress(BaseModel):
    bytes_read: int = Field(description="Bytes of the body read so far")
    bytes_total: int | None = Field(
        description="The body's size: declared (Content-Length) or spooled; null when unknown"
    )
    rows_done: int = Field(description="Data rows read and committed; a CSV header is no row")
    rows_failed: int = Field(description="Rows refused so far (each is in errors.csv)")
    percent: Decimal2 | None = Field(
        description="bytes_read of bytes_total, in percent (rounded down); null when unknown"
    )


class ImportJobOut(BaseModel):
    id: int
    source: str
    format: str
    encoding: str
    dry_run: bool
    status: str = Field(
        description="queued, running, completed, interrupted (resume by re-posting) or failed"
    )
    idempotency_key: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    rows_read: int
    committed_row: int
    inserted: int
    updated: int
    unchanged: int
    failed: int
    errors: list[RowErrorOut] = Field(description="The first errors; all are in errors.csv")
    errors_truncated: bool
    failure: str | None = Field(default=None, description="Why a failed job stopped")
    progress: ImportProgress


class ImportJobSummary(BaseModel):
    """An import job as a list of jobs (and a 202 Accepted) shows it."""

    id: int
    source: str
    format: str
    dry_run: bool
    status: str = Field(description="queued, running, completed, interrupted or failed")
    spooled: bool = Field(description="Run by a worker from the spooled body (answered 202)")
    idempotency_key: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    failure: str | None = Field(description="Why a failed job stopped; null unless failed")
    progress: ImportProgress
