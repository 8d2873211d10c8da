"""One row of a person import: its columns and its check.

Errors name the row and the column, never the value: a rejected cell may be a
national ID.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from services.common.importing.rows import RowError, validated
from services.directory.schemas import (
    AgencyCode,
    DisplayName,
    Email,
    FlexibleDate,
    NationalId,
    PersonnelId,
    PersonStatus,
    Phone,
    UnitCode,
)

REQUIRED_COLUMNS = ("id", "name", "agency_code")
OPTIONAL_COLUMNS = (
    "unit_code",
    "national_id",
    "email",
    "phone",
    "status",
    "status_changed_on",
    "supervisor_id",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


class ImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PersonnelId
    name: DisplayName
    agency_code: AgencyCode
    unit_code: UnitCode | None = None
    national_id: NationalId | None = None
    email: Email | None = None
    phone: Phone | None = None
    status: PersonStatus | None = None
    status_changed_on: FlexibleDate | None = None
    supervisor_id: PersonnelId | None = None


@dataclass(frozen=True)
class PersonRow:
    """A checked row; `present` lists the columns the file gives (empty or not):
    the others stay untouched on the stored person."""

    row: int
    data: ImportRow
    present: frozenset[str]


def check_person(row: int, values: dict[str, str]) -> PersonRow | list[RowError]:
    """Every field checked; all the row's errors at once. An empty cell is an
    absent value (and clears an optional column the file gives)."""
    cells = {name: value.strip() or None for name, value in values.items()}
    missing = [
        RowError(row, column, "required", "missing")
        for column in REQUIRED_COLUMNS
        if cells.get(column) is None
    ]
    checked = validated(ImportRow, row, {k: v for k, v in cells.items() if v is not None})
    if isinstance(checked, list):
        named = {e.field for e in missing}
        return missing + [e for e in checked if e.field not in named]
    if missing:
        return missing
    return PersonRow(row, checked, frozenset(values))
