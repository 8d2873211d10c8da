"""The certs service's nightly AI-hours pull (`GET /ai-hours`), timed against a raw SELECT.

Workload (issue 10, item 8), on PostgreSQL and then on SQLite: N persons each
with AI hours in 2026 (`ai_hours` rows, written straight into the table) and
on the roster of one of 50 agencies (`roster` rows; each feed item names the
person's agency and unit from it), then
  1. a whole pull as the certs service's account: every page of 5,000 through
     HTTP from its own uvicorn process, each person logged as read as the
     service does: seconds, rows/s, ratio to
  2. the baseline: one raw SELECT of the same rows joined to the roster in the
     feed's order, fetched whole by a driver connection in this process;
  3. the next night's pull with nothing changed (`changed_since` = `until`).
The pull's target is <= 60 s for 300,000 persons, scaled to smaller runs.

Run: uv run python benchmarks/training_ai_hours.py [--persons 30000] [--scale]
     [--skip-sqlite] [--skip-postgresql]     (--scale: 300,000 persons)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.training import PG_ADMIN, Service, token  # noqa: E402
from gateway.keys import KeyPair, generate  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402
from services.training.models import AiHours, RosterPerson  # noqa: E402

FULL_PERSONS = 300_000
TARGET_SECONDS = 60.0  # for FULL_PERSONS
PAGE = 5000
AI = AiHours.__table__  # type: ignore[attr-defined]
ROSTER = RosterPerson.__table__  # type: ignore[attr-defined]
BASELINE = (
    "SELECT a.person_id, a.year, a.basic_centi, a.advanced_centi, a.changed_at, "
    "r.agency_code, r.unit_id FROM ai_hours a "
    "LEFT JOIN roster r ON r.person_id = a.person_id "
    "ORDER BY a.changed_at, a.person_id, a.year"
)


def seed(url: str, persons: int) -> None:
    """One 2026 row per person; stamps of a day's imports, 100 persons a batch."""
    engine = create_engine(url)
    start = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    rows = [
        {
            "person_id": f"P{n:07d}",
            "year": 2026,
            "basic_centi": 300 + n % 7 * 25,
            "advanced_centi": n % 5 * 50,
            "changed_at": start + timedelta(milliseconds=n // 100),
        }
        for n in range(persons)
    ]
    roster = [
        {
            "person_id": f"P{n:07d}",
            "agency_code": f"A{n % 50:03d}",
            "unit_id": str(n % 40),
            "refreshed_at": start,
        }
        for n in range(persons)
    ]
    with engine.begin() as conn:
        for i in range(0, len(rows), 10_000):
            conn.execute(insert(AI), rows[i : i + 10_000])
            conn.execute(insert(ROSTER), roster[i : i + 10_000])
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE ai_hours"))
            conn.execute(text("ANALYZE roster"))
    engine.dispose()


def baseline(url: str) -> tuple[float, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        started = time.perf_counter()
        fetched = conn.execute(text(BASELINE)).fetchall()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, len(fetched)


def pull(base: str, keys: KeyPair, since: str | None) -> tuple[float, int, str | None]:
    auth = token(keys, sub="svc.certs", kind="service", permissions=["training:ai_hours:read"])
    headers = {"Authorization": f"Bearer {auth}"}
    params: dict[str, Any] = {"limit": PAGE}
    if since is not None:
        params["changed_since"] = since
    count, cursor, until = 0, None, None
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=120) as client:
        while True:
            page_params = {**params, **({"cursor": cursor} if cursor else {})}
            response = client.get("/ai-hours", params=page_params, headers=headers)
            response.raise_for_status()
            body = response.json()
            count += len(body["items"])
            until = body["until"]
            cursor = body["next_cursor"]
            if not cursor:
                break
    return time.perf_counter() - started, count, until


@dataclass
class Figures:
    persons: int
    pull_s: float
    pulled: int
    baseline_s: float
    baseline_rows: int
    again_s: float
    again_rows: int


def run(url: str, persons: int, keys: KeyPair) -> Figures:
    upgrade("training", url)
    seed(url, persons)
    baseline_s, baseline_rows = baseline(url)
    service = Service(url, keys)
    try:
        pull_s, pulled, until = pull(service.base, keys, None)
        again_s, again_rows, _ = pull(service.base, keys, until)
    finally:
        service.stop()
    return Figures(persons, pull_s, pulled, baseline_s, baseline_rows, again_s, again_rows)


def report(backend: str, f: Figures) -> None:
    target = TARGET_SECONDS * f.persons / FULL_PERSONS
    met = "met" if f.pull_s <= target and f.pulled == f.persons else "MISSED"
    print(f"\n{backend}: {f.persons:,} persons")
    print(
        f"  pull through the API   {f.pull_s:8.2f} s  {f.pulled / f.pull_s:10,.0f} rows/s  "
        f"({f.pulled:,} rows; target <= {target:.1f} s: {met})"
    )
    print(
        f"  raw SELECT baseline    {f.baseline_s:8.2f} s  "
        f"{f.baseline_rows / max(f.baseline_s, 1e-9):10,.0f} rows/s  ({f.baseline_rows:,} rows)"
    )
    print(f"  ratio API / baseline   {f.pull_s / max(f.baseline_s, 1e-9):8.1f} x")
    print(f"  next pull, no change   {f.again_s * 1000:8.1f} ms  ({f.again_rows} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=30_000)
    parser.add_argument("--scale", action="store_true", help=f"{FULL_PERSONS:,} persons")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    persons = FULL_PERSONS if args.scale else args.persons
    keys = generate()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the start")
    if not args.skip_postgresql:
        name = f"renshi_bench_ai_hours_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            figures = run(url, persons, keys)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        report("postgresql", figures)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            report("sqlite", run(f"sqlite:///{Path(tmp) / 'training.db'}", persons, keys))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
