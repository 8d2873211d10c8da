"""The import's quick paths give what the careful ones give: a CSV line split on its
commas is the csv module's reading, a row checked on the straight path is the row
every check gives; records carry their course's topic bits through re-imports; a
large import leaves PostgreSQL's statistics and visibility map up to date."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from services.common.importing import lines as lines_module
from services.common.importing.lines import RawLine, line_blocks
from services.common.importing.rows import CsvRows
from services.training.domain.record_rows import REQUIRED, _check_each, check
from services.training.domain.topics import Topic, topic_mask
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
    rows = CsvRows(FIELDS, REQUIRED)
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
        "national_id": st.sampled_from(["", " ", "A123456789", " a123456789 ", "A" * 33]),
    },
)


@settings(max_examples=500)
@given(VALUES)
def test_the_straight_path_checks_as_every_check_does(values) -> None:
    assert check(7, values, TODAY) == _check_each(7, values, TODAY)


def expected_lines(data: bytes, limit: int) -> list[RawLine]:
    """The lines of a whole body, read the plain way."""
    if data.startswith(lines_module.UTF8_BOM):
        data = data[len(lines_module.UTF8_BOM) :]
    parts = data.split(b"\n")
    out = []
    for number, part in enumerate(parts, start=1):
        last = number == len(parts)
        if last and not part:
            break
        if len(part) > limit:
            out.append(RawLine(number, b"", not last, True))
        else:
            out.append(RawLine(number, part.removesuffix(b"\r"), not last))
    return out


def read_blocks(chunks: list[bytes]) -> list[RawLine]:
    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async def collect() -> list[RawLine]:
        out: list[RawLine] = []
        async for block in line_blocks(stream()):
            assert block
            out += block
        return out

    return asyncio.run(collect())


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r", b"\r\n", b"12345678"]), max_size=30),
    st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_lines_are_the_same_however_the_body_is_cut(pieces, cuts) -> None:
    data = lines_module.UTF8_BOM + b"".join(pieces)
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    limit = lines_module.MAX_LINE_BYTES
    lines_module.MAX_LINE_BYTES = 8
    try:
        assert read_blocks(chunks) == expected_lines(data, 8)
    finally:
        lines_module.MAX_LINE_BYTES = limit


def mask_of(apps, external_id: str) -> int:
    records = LearningRecord.__table__  # type: ignore[attr-defined]
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


def test_placements_read_once_per_job_and_past_the_cache_limit(call, apps, wiring, monkeypatch):
    from services.training.service import record_import as batch
    from services.training.service import record_import as runner
    from tests.training.builders import category

    category(call)
    wiring.persons.update({"P001": ("A01", 11), "P002": ("A01", 12), "P003": ("A01", 13)})
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    monkeypatch.setattr(batch, "MAX_CACHED_PLACEMENTS", 2)
    people = ["P001", "P002", "P003", "P001", "P003", "P002", "P002"]
    body = HEADER + "".join(row(f"E{i}", person=p) for i, p in enumerate(people))
    job = post(call, body).json()
    assert (job["inserted"], job["failed"]) == (len(people), 0), job["errors"]
    # The roster is filled from the directory once per person, not once per batch.
    assert wiring.directory_calls == 3
