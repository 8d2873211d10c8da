"""The planner's statistics of a table, refreshed by the job that rewrote much of it.

PostgreSQL's autovacuum analyses a table once more than 50 rows and a tenth of
it have changed, but in its own time: after its nap, in its turn among every
table of the server. A staffing search right after the first AI-hours pull was
planned on the statistics of the load, when `person_ai_hours` was empty: the
planner expected 60 hours rows where there were 98,571, joined every one of
them to its person and sorted them, and the search of an officer of a ministry
(100 agencies, 57,736 persons) took 346 ms instead of 54 ms
(`benchmarks/national.py --scale 0.1`). A job that wrote that much applies the
same rule at once, in a transaction of its own after its writes.

On SQLite nothing is done: there the searches are written and tested for a
planner without `sqlite_stat1`, and SQLite 3.40 gave wrong rows on one of
them with estimates from it (see the README's "SQLite 3.40").
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.engine import Engine

# autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults.
BASE_ROWS = 50
SHARE = 0.1

# The tables a job may ask for: their names go into the statement as they are.
TABLES = frozenset({"person_ai_hours", "talent_persons"})


def due(written: int, counted: float) -> bool:
    """Whether `written` rows of a table the planner counted `counted` rows in
    (`pg_class.reltuples`; -1 before the first analysis) call for an analysis."""
    return written > BASE_ROWS + SHARE * max(counted, 0.0)


def refresh(engine: Engine, written: Mapping[str, int]) -> list[str]:
    """ANALYZE each table of `written` (table → rows the job wrote) for which
    `due`; the names of those analysed, in the order given."""
    unknown = set(written) - TABLES
    if unknown:
        raise ValueError(f"not a table this refresh knows: {sorted(unknown)}")
    if engine.dialect.name != "postgresql":
        return []
    analysed: list[str] = []
    with engine.begin() as conn:
        for table, rows in written.items():
            counted = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
                {"name": table},
            ).scalar_one()
            if due(rows, float(counted)):
                conn.execute(text(f"ANALYZE {table}"))
                analysed.append(table)
    return analysed
