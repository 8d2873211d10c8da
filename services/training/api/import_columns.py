"""The columns of the learning-record import, as its operation describes them.

Rows are parsed by hand for speed (`domain/record_rows.py`), not by a model, so
the table is written here; a test checks it names exactly the columns the
import reads."""

from __future__ import annotations

from services.common.importing.columns import Column, describe_import

RECORD_COLUMNS = (
    Column("external_id", "yes", "text: the platform's id of the record", "EL-2026-0001234"),
    Column("person_id", "one of person_id, national_id", "the personnel id (人員代號)", "P0012345"),
    Column(
        "national_id",
        "one of person_id, national_id",
        "national ID (身分證字號 or 居留證號), matched by the directory, never stored",
        "A123456789",
    ),
    Column("course_id", "yes", "text: the platform's id of the course", "AI-101"),
    Column("course_title", "no", "text: to add a course the catalogue lacks", "生成式AI入門"),
    Column("category", "no", "portal course category code", "C01"),
    Column("topics", "no", "`;`-separated topic tags", "ai_basic;ai_advanced"),
    Column("hours", "yes", "decimal > 0, ≤ 100, two places", "1.50"),
    Column(
        "completed_at",
        "yes",
        "ISO date, ISO date-time (Taipei time without an offset) or ROC date",
        "115/03/02",
    ),
    Column("digital", "no", "`Y`/`N` (數位學習)", "Y"),
)
RECORD_IMPORT_DESCRIPTION = describe_import(
    "One learning record per row, idempotent by the source (the `source` parameter) "
    "and `external_id`. Columns the platform exports beyond these are ignored.",
    RECORD_COLUMNS,
)
