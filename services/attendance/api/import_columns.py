"""The columns of the attendance service's three imports, as their operations
describe them (read from the row models, so they cannot drift)."""

from __future__ import annotations

from services.attendance.schemas import AttendanceImportRow, OvertimeImportRow, RosterRow
from services.common.importing.columns import columns_of, describe_import

ROSTER_IMPORT_DESCRIPTION = describe_import(
    "One row per person: where they work, under whom, on which work-hour regime, at "
    "which hourly rate; created or replaced by `person_id`.",
    columns_of(
        RosterRow,
        {
            "person_id": "P0012345",
            "agency_code": "A01",
            "unit_code": "HR",
            "supervisor_id": "P0010001",
            "regime": "regular",
            "status": "active",
            "hourly_rate": "312.50",
            "email": "wang@example.gov.tw",
            "cycle_anchor": "2026-01-05",
        },
    ),
)
ATTENDANCE_IMPORT_DESCRIPTION = describe_import(
    "One clocked day per row, idempotent by the source (the `source` parameter) and "
    "`source_id`: a row re-sent unchanged is counted as unchanged.",
    columns_of(
        AttendanceImportRow,
        {
            "source_id": "CLK-2026-000123",
            "person_id": "P0012345",
            "day": "2026-03-02",
            "clock_in": "2026-03-02T08:30:00+08:00",
            "clock_out": "2026-03-02T17:30:00+08:00",
            "normal_minutes": "480",
            "is_rest_day": "false",
        },
    ),
)
OVERTIME_IMPORT_DESCRIPTION = describe_import(
    "One overtime record per row, idempotent by the source and `source_id`; each is "
    "checked against the work-hour limits like one recorded by hand, and a refused row "
    "fails with the limit it breaks as its code (`limit:<rule>`).",
    columns_of(
        OvertimeImportRow,
        {
            "source_id": "OT-2026-000456",
            "person_id": "P0012345",
            "day": "2026-03-02",
            "starts_at": "2026-03-02T18:00:00+08:00",
            "minutes": "120",
            "is_rest_day": "false",
            "urgent": "false",
            "assigned_by": "P0010001",
            "reason": "年度預算編列",
            "compensation": "comp",
        },
    ),
)
