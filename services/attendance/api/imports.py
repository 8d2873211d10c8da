"""Shared plumbing of the import routes: reading the body and tallying rows."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from services.attendance.domain.worktime import Violation
from services.attendance.imports import FileError, ImportFormat, RowError, format_of
from services.attendance.schemas import ImportResult, ImportRowError, ImportRowWarning, RuleWarning
from services.common.errors import FieldError, Invalid, Problem

MAX_IMPORT_BYTES = 32 * 1024 * 1024
MAX_REPORTED_ERRORS = 1000

IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


async def read_import(
    request: Request, explicit: ImportFormat | None
) -> tuple[bytes, ImportFormat]:
    try:
        fmt = format_of(request.headers.get("content-type"), explicit)
    except FileError as exc:
        raise Problem(
            str(exc), status=415, slug="unsupported-media-type", title="Unsupported media type"
        ) from None
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise Problem(
            "import file too large",
            status=413,
            slug="payload-too-large",
            title="Request body too large",
        )
    return body, fmt


def file_problem(exc: FileError) -> Invalid:
    return Invalid(str(exc), errors=[FieldError(field="body", reason=str(exc), code="file")])


@dataclass
class Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[ImportRowWarning] = field(default_factory=list)

    def fail(self, row: int, field_name: str, reason: str) -> None:
        self.failed += 1
        self.errors.append(RowError(row, field_name, reason))

    def warn(self, row: int, violation: Violation) -> None:
        if len(self.warnings) < MAX_REPORTED_ERRORS:
            warning = RuleWarning.of(violation)
            self.warnings.append(ImportRowWarning(row=row, **warning.model_dump()))

    def parse_errors(self, errors: list[RowError]) -> None:
        self.failed += len({e.row for e in errors})
        self.errors.extend(errors)

    def result(self, dry_run: bool) -> ImportResult:
        return ImportResult(
            rows=self.rows,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            failed=self.failed,
            dry_run=dry_run,
            errors=[
                ImportRowError(row=e.row, field=e.field, reason=e.reason)
                for e in sorted(self.errors, key=lambda e: e.row)[:MAX_REPORTED_ERRORS]
            ],
            warnings=self.warnings,
        )
