"""The tally every attendance import keeps: rows read, written, failed, and
the warnings of rows kept; and the problem a file that cannot be read gives."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.attendance.domain.worktime import Violation
from services.attendance.imports import FileError, RowError
from services.attendance.schemas import ImportResult, ImportRowError, ImportRowWarning, RuleWarning
from services.common.errors import FieldError, Invalid

MAX_REPORTED_ERRORS = 1000


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
