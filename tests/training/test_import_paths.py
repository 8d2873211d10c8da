"""The import's quick paths give what the careful ones give: a CSV line split on its
commas is the csv module's reading, a row checked on the straight path is the row
every check gives; records carry their course's topic bits through re-imports; a
large import leaves PostgreSQL's statistics and visibility map up to date."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from services.training.domain.topics import Topic, topic_mask
from services.training.imports.rows import CsvRows, _check_each, check
from services.training.models import LearningRecord
from tests.training.test_imports import HEADER, post, row

FIELDS = "external_id,person_id,course_id,course_title,category,topics,hours,completed_at"
TODAY = date(2026, 11, 23)


def csv_module(line: str) -> list[str] | None:
    try:
        return next(csv.reader([line], strict=True))
    except (csv.Error, StopIteration):
        return None


@settings(max_examples=500)
@given(st.text(alphabet="a,; \"\r\t\\'\x00中|", min_size=1, max_size=30))
def test_a_csv_line_splits_as_the_csv_module_reads_it(line) -> None:
    rows = CsvRows(FIELDS)
    assert rows._split(line) == csv_module(line)


VALUES = st.fixed_dictionaries(
    {
        "external_id": st.sampled_from(["", " ", "E1", "E" * 65, " E2 "]),
        "person_id": st.sampled_from(["", "P1", "P" * 65]),
        "course_id": st.sampled_from(["", "C1", " C2"]),
        "course_title": st.sampled_from(["", "課程", "t" * 301]),
        "category": st.sampled_from(["", "C01", "c" * 33]),
        "topics": st.sampled_from(["", "ai_basic", "ai_basic;ai_advanced", "nope", " AI_BASIC |"]),
        "hours": st.sampled_from(["", " ", "1", "1.5", "0", "-1", "1.005", "x", "101", "NaN"]),
        "completed_at": st.sampled_from(
            ["", "2026-03-02", "115/03/02", "2026-02-30", "2027-01-01", "2026-03-02T23:30"]
        ),
    },
    optional={
        "digital": st.sampled_from(["", "Y", "n", "是", "maybe"]),
        "national_id": st.sampled_from(["", "A123456789"]),
    },
)


@settings(max_examples=500)
@given(VALUES)
def test_the_straight_path_checks_as_every_check_does(values) -> None:
    assert check(7, values, TODAY) == _check_each(7, values, TODAY)


def mask_of(apps, external_id: str) -> int:
    records = LearningRecord.__table__
    with apps["training"].state.engine.connect() as conn:
        return int(
            conn.execute(
                select(records.c.topic_mask).where(records.c.external_id == external_id)
            ).scalar_one()
        )


def test_records_carry_their_course_topics_through_a_reimport(call, apps, wiring):
    from tests.training.builders import category

    category(call)
    wiring.persons.update({"P001": ("A01", 11)})
    both = "ai_basic;ai_advanced"
    assert post(call, HEADER + row("E1", topics=both)).status_code == 201
    assert mask_of(apps, "E1") == topic_mask([Topic.AI_BASIC, Topic.AI_ADVANCED])
    moved = post(call, HEADER + row("E1", course="ENV-1", topics="environmental_education"))
    assert moved.json()["updated"] == 1
    assert mask_of(apps, "E1") == topic_mask([Topic.ENVIRONMENTAL_EDUCATION])


def test_a_large_import_vacuums_and_analyzes(call, apps, wiring, monkeypatch):
    engine = apps["training"].state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("VACUUM and its statistics are PostgreSQL's")
    from services.training.store import records
    from tests.training.builders import category

    category(call)
    wiring.persons.update({"P001": ("A01", 11)})
    monkeypatch.setattr(records, "VACUUM_AFTER_ROWS", 2)

    def counts() -> tuple[int, int]:
        with engine.connect() as conn:
            vacuums, analyzes = conn.execute(
                text(
                    "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables "
                    "WHERE relname = 'learning_records'"
                )
            ).one()
        return int(vacuums), int(analyzes)

    before = counts()
    assert post(call, HEADER + row("E1") + row("E2")).status_code == 201
    after = counts()
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1
