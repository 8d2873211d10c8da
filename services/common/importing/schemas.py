"""The import job as every import route answers it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RowErrorOut(BaseModel):
    row: int = Field(description="Data row number, 1 for the first row after any header")
    field: str
    reason: str
    code: str


class ImportJobOut(BaseModel):
    id: int
    source: str
    format: str
    encoding: str
    dry_run: bool
    status: str = Field(description="running, completed or interrupted (resume by re-posting)")
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
