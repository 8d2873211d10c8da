"""Shared pieces of the PostgreSQL benchmarks: scratch databases made and dropped
by the run, indexes built after a bulk load, and the figures every script prints
(load average, p50 / p95)."""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

from benchmarks.speakers import load_average
from benchmarks.training import PG_ADMIN, free_port

__all__ = [
    "PG_ADMIN",
    "free_port",
    "indexes_after_load",
    "load_average",
    "p50_p95",
    "scratch_databases",
    "vacuum_analyze",
]


@contextmanager
def scratch_databases(names: Sequence[str], tag: str) -> Iterator[dict[str, str]]:
    """One empty database per name, each under a name of its own
    (`renshi_bench_<tag>_<name>_<random>`), dropped when the block ends."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    made: list[str] = []
    urls: dict[str, str] = {}
    suffix = uuid.uuid4().hex[:8]
    try:
        with admin.connect() as conn:
            for name in names:
                database = f"renshi_bench_{tag}_{name}_{suffix}"
                conn.execute(text(f'CREATE DATABASE "{database}"'))
                made.append(database)
                urls[name] = (
                    make_url(PG_ADMIN).set(database=database).render_as_string(hide_password=False)
                )
        yield urls
    finally:
        with admin.connect() as conn:
            for database in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def indexes_after_load(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the plain indexes of `tables` for the load and build them again after
    it (a sorted build is several times faster than maintaining each index row by
    row). Indexes behind a constraint (primary keys, unique constraints) stay:
    the migrations' constraints hold during the load too."""
    rows = conn.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
        {"tables": list(tables)},
    ).all()
    for name, _ in rows:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, definition in rows:
        conn.execute(text(definition))


def vacuum_analyze(url: str) -> None:
    """As autovacuum would soon after a bulk load: statistics, and the visibility
    map that index-only scans need."""
    engine = create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def p50_p95(seconds: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile (inclusive method: the largest of a few runs)."""
    if len(seconds) == 1:
        return seconds[0], seconds[0]
    return (
        statistics.median(seconds),
        statistics.quantiles(seconds, n=20, method="inclusive")[18],
    )
