"""A job that rewrote much of a table analyses it at once on PostgreSQL, by
autovacuum's own rule (more than 50 rows and a tenth of the table), vacuums it
too past a fifth, and asks nothing of SQLite (store/table_statistics.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.certs.store import table_statistics
from services.certs.store.table_statistics import Refreshed, due, refresh, vacuum_due
from tests.databases import BACKEND


@pytest.mark.parametrize(
    ("written", "counted", "expected"),
    [
        (0, -1, False),  # never analysed, nothing written
        (50, -1, False),  # the base threshold itself is not enough
        (51, -1, True),
        (51, 0, True),  # analysed when empty: the first pull
        (150, 1_000, False),
        (151, 1_000, True),
        (10_000, 1_000_000, False),  # a night's changes of a national table
        (100_051, 1_000_000, True),
        (98_571, 0, True),  # the national run's first pull
    ],
)
def test_due_follows_autovacuums_rule(written: int, counted: float, expected: bool) -> None:
    assert due(written, counted) is expected


@pytest.mark.parametrize(
    ("written", "counted", "expected"),
    [
        (50, -1, False),
        (51, -1, True),  # the first pull into an empty table
        (250, 1_000, False),  # analysed, not vacuumed
        (251, 1_000, True),
        (150_000, 1_000_000, False),  # a sixth of a national table
        (200_051, 1_000_000, True),
        (998_868, 1_000_000, True),  # the expiry job's first recount
    ],
)
def test_vacuum_due_follows_autovacuums_rule(written: int, counted: float, expected: bool) -> None:
    assert vacuum_due(written, counted) is expected
    # Whatever is vacuumed is analysed.
    assert not expected or due(written, counted)


@pytest.fixture
def engine(certs_app: FastAPI) -> Engine:
    engine: Engine = certs_app.state.engine
    return engine


PREFIX = "P-STATS-"


@pytest.fixture
def hours_rows(engine: Engine) -> Iterator[int]:
    """Rows enough for an analysis of person_ai_hours as it stands, inserted
    (and deleted afterwards); their number."""
    with engine.begin() as conn:
        counted = 0.0
        if engine.dialect.name == "postgresql":
            counted = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = 'person_ai_hours'")
            ).scalar_one()
        rows = int(table_statistics.BASE_ROWS + table_statistics.SHARE * max(counted, 0)) + 20
        at = datetime(2026, 12, 1, tzinfo=UTC)
        conn.execute(
            text(
                "INSERT INTO person_ai_hours (person_id, year, ai_centi, basic_centi,"
                " advanced_centi, changed_at, pulled_at)"
                " VALUES (:p, 2026, 100, 100, 0, :at, :at)"
            ),
            [{"p": f"{PREFIX}{n:05d}", "at": at} for n in range(rows)],
        )
    yield rows
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM person_ai_hours WHERE person_id LIKE :p"), {"p": f"{PREFIX}%"}
        )


def _sqlite_stats(engine: Engine) -> list[tuple[object, ...]] | None:
    with engine.connect() as conn:
        if not conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).scalar_one():
            return None
        return [
            tuple(row) for row in conn.execute(text("SELECT * FROM sqlite_stat1 ORDER BY 1, 2"))
        ]


def _counts(engine: Engine) -> tuple[float, int, int]:
    """person_ai_hours' reltuples, its rows and how often it was vacuumed."""
    with engine.connect() as conn:
        counted, rows, vacuums = conn.execute(
            text(
                "SELECT (SELECT reltuples FROM pg_class WHERE relname = 'person_ai_hours'),"
                " (SELECT count(*) FROM person_ai_hours),"
                " (SELECT vacuum_count FROM pg_stat_user_tables"
                "  WHERE relname = 'person_ai_hours')"
            )
        ).one()
    return float(counted), int(rows), int(vacuums)


def test_a_table_written_enough_is_analysed_on_postgresql_only(
    engine: Engine, hours_rows: int
) -> None:
    if BACKEND == "sqlite":
        # Nothing analysed: sqlite_stat1 (made by other tests, or absent) unchanged.
        before = _sqlite_stats(engine)
        assert refresh(engine, {"person_ai_hours": hours_rows}) == Refreshed()
        assert _sqlite_stats(engine) == before
        return
    _, _, vacuums = _counts(engine)
    # Every row of the table written (more than a fifth): vacuumed and analysed.
    written = 10 * hours_rows
    assert refresh(engine, {"person_ai_hours": written, "talent_persons": 3}) == Refreshed(
        analysed=["person_ai_hours"], vacuumed=["person_ai_hours"]
    )
    counted, rows, vacuums_after = _counts(engine)
    assert vacuums_after == vacuums + 1
    # A table this small is read whole by ANALYZE: its count is exact.
    assert counted == rows >= hours_rows
    # Between a tenth and a fifth of it: analysed only.
    between = int(table_statistics.BASE_ROWS + 0.15 * counted) + 1
    assert due(between, counted) and not vacuum_due(between, counted)
    assert refresh(engine, {"person_ai_hours": between}) == Refreshed(analysed=["person_ai_hours"])
    assert _counts(engine)[2] == vacuums_after
    # One row is no longer enough for anything.
    assert refresh(engine, {"person_ai_hours": 1}) == Refreshed()


def test_an_unknown_table_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="not a table this refresh knows"):
        refresh(engine, {"persons; DROP TABLE x": 1})
