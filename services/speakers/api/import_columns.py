"""The columns of the speakers service's two imports, as their operations
describe them (read from the row models, so they cannot drift)."""

from __future__ import annotations

from services.common.importing.columns import columns_of, describe_import
from services.speakers.schemas import EngagementImportRow, LecturerImportRow

LIST = "items separated by `;`"
LECTURER_IMPORT_DESCRIPTION = describe_import(
    "One lecturer per row, created or updated by the source's lecturer number "
    "(`source_id`, under the `source` parameter); a row re-sent unchanged is counted "
    "as unchanged. A row is the whole record: an empty or absent cell is the field's "
    "empty value, except `person_id`, which is set but never cleared. Consent stays "
    "the lecturer's: a new lecturer starts with e-mail and phone hidden. Each lecturer "
    "enters the search index as it is written.",
    columns_of(
        LecturerImportRow,
        {
            "source_id": "T0012345",
            "name": "王大明",
            "organisation": "數位發展部",
            "agency_code": "A01",
            "title": "科長",
            "expertise": "資通安全;人工智慧",
            "category_codes": "P05;P06",
            "biography": "資安治理實務二十年",
            "email": "wang@example.gov.tw",
            "phone": "02-2345-6789",
            "person_id": "P0012345",
            "active": "true",
        },
        formats={
            "expertise": f"{LIST}, each at most 60 characters, at most 20",
            "category_codes": f"{LIST}: codes of `GET /course-categories`, at most 20",
        },
    ),
)
ENGAGEMENT_IMPORT_DESCRIPTION = describe_import(
    "One engagement record (洽聘紀錄) per row, idempotent by the lecturer "
    "(`lecturer_source_id`, a lecturer imported from the same `source`), class name, "
    "course name, date and hosting agency: a record found again with other `hours` or "
    "`agency_code` is updated, else unchanged. Import the lecturers first.",
    columns_of(
        EngagementImportRow,
        {
            "lecturer_source_id": "T0012345",
            "class_name": "115年資訊安全研習班",
            "course_name": "資安治理",
            "held_on": "115/03/02",
            "hosting_agency": "行政院人事行政總處",
            "hours": "3",
            "agency_code": "A01",
        },
        formats={"held_on": "ISO date (YYYY-MM-DD) or ROC date (115/03/02)"},
    ),
)
