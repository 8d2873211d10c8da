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

It vacuums as well, by autovacuum's other rule (more than 50 rows and a fifth
of the table written): the searches are index-only scans, and every row
written clears its page's bit in the visibility map, so until a vacuum each
index entry is checked against the table itself. The first pull and the
expiry job's recount rewrite every person's row; at national size (1,000,000
persons, 182,575 in a ministry's 100 agencies) the ministry's search by AI
hours took 229 ms p95 after two such rewrites with no vacuum, and 29 ms after
the vacuum (README "Capacity"; autovacuum was off on that server, and when on
it comes in its own time).

On SQLite nothing is done: there the searches are written and tested for a
planner without `sqlite_stat1`, and SQLite 3.40 gave wrong rows on one of
them with estimates from it (see the README's "SQLite 3.40").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Engine

# autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults.
BASE_ROWS = 50
SHARE = 0.1
# autovacuum_vacuum_scale_factor's default (its threshold is 50 as well).
VACUUM_SHARE = 0.2

# The tables a job may ask for: their names go into the statement as they are.
TABLES = frozenset({"person_ai_hours", "talent_persons"})


def due(written: int, counted: float) -> bool:
    """Whether `written` rows of a table the planner counted `counted` rows in
    (`pg_class.reltuples`; -1 before the first analysis) call for an analysis."""
    return written > BASE_ROWS + SHARE * max(counted, 0.0)


def vacuum_due(written: int, counted: float) -> bool:
    """Whether they call for a vacuum (each row written left a dead version)."""
    return written > BASE_ROWS + VACUUM_SHARE * max(counted, 0.0)


@dataclass(frozen=True)
class Refreshed:
    # Tables analysed, in the order given; those also vacuumed.
    analysed: list[str] = field(default_factory=list)
    vacuumed: list[str] = field(default_factory=list)


def refresh(engine: Engine, written: Mapping[str, int]) -> Refreshed:
    """For each table of `written` (table → rows the job wrote): VACUUM
    (ANALYZE) it when `vacuum_due`, else ANALYZE it when `due`."""
    unknown = set(written) - TABLES
    if unknown:
        raise ValueError(f"not a table this refresh knows: {sorted(unknown)}")
    done = Refreshed()
    if engine.dialect.name != "postgresql":
        return done
    # VACUUM runs outside a transaction block; it blocks neither reads nor writes.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table, rows in written.items():
            counted = float(
                conn.execute(
                    text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
                    {"name": table},
                ).scalar_one()
            )
            if vacuum_due(rows, counted):
                conn.execute(text(f"VACUUM (ANALYZE) {table}"))
                done.vacuumed.append(table)
                done.analysed.append(table)
            elif due(rows, counted):
                conn.execute(text(f"ANALYZE {table}"))
                done.analysed.append(table)
    return done
