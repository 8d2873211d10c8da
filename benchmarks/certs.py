"""Staffing search, team proposal and agency summary of the certs service, timed
against a raw scan of the certificates.

Workload (issue 10, item 8), on PostgreSQL and then on SQLite, schema by the
migrations: 300,000 persons in 20 agencies (`talent_persons`), half of them
with a live talent role (a tenth with two), 70 % with AI hours in 2026, and
500,000 certificates over 12 catalogue versions (80 % verified, some expired,
revoked or waiting), all written straight into the tables. Timed in-process
through the service layer (`services/certs/service/…`: scope, catalogue,
queries, row details and the personal-data read rows, rolled back), no HTTP:

  1. staffing searches, single and combined filters, a page of 50 with the
     counts per agency, for an officer of 5 agencies (75,000 persons) and one of
     all 20: p50 and p95 of 20 runs each (target p95 <= 100 ms);
  2. a 6-slot team proposal (1 policy, 2 development, 3 application; 3
     alternates each): p95 (target <= 300 ms);
  3. the agency summary by kind x role for 5 agencies (target <= 1 s);
  4. the baselines in the same run: one raw `SELECT count(*)` over every
     certificate valid on the day (the scan a search without its indexes and
     semi-joins would make), and each workload again by turns with the
     persons' masks taken not to cover the day (per-person EXISTS against
     certificates and roles, the path before c3d0c0170009), with the ratio of
     each figure to them.

Run: uv run python benchmarks/certs.py [--small] [--skip-sqlite] [--skip-postgresql]
     (--small: 30,000 persons and 50,000 certificates, for a quick check)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.training import PG_ADMIN
from services.certs.clients import Peers
from services.certs.domain.levels import level_code, level_of
from services.certs.domain.staffing import SortKey
from services.certs.domain.talent import Level
from services.certs.models import (
    CatalogueEntry,
    CatalogueVersion,
    Certificate,
    PersonAiHours,
    TalentPerson,
    TalentRoleAssignment,
)
from services.certs.service import agency_files, staffing, team_proposal
from services.certs.staffing_schemas import SlotAsk, TeamProposalAsk
from services.certs.store import person_certificates, talent_persons
from services.common.migrate import upgrade
from services.common.pagination import PageParams
from services.common.principal import Principal

DAY = date(2026, 12, 1)
AT = datetime(2026, 12, 1, tzinfo=UTC)
AGENCIES = [f"A{n:02d}" for n in range(20)]
ROLES = ("policy", "application", "development", "research")
# code, kind, level, roles
VERSIONS = (
    ("gov-core", "literacy", "core", ("application", "development", "policy", "research")),
    ("ipas-mid", "tool", "intermediate (中級)", ("application", "policy")),
    ("iii-office", "tool", "office application", ("application",)),
    ("ms-ai-900", "tool", "fundamentals", ("application", "development")),
    ("aws-prac", "tool", "foundational", ("application", "development")),
    ("aws-mle", "project_technical", "associate", ("development",)),
    ("gcp-mle", "project_technical", "professional", ("development", "research")),
    ("tqc-ai", "tool", "professional (TQC+)", ("application", "development")),
    ("gov-plan", "project_planning", "planning", ("policy",)),
    ("plan-pro", "project_planning", "advanced", ("policy", "research")),
    ("x-lit", "literacy", "basic", ("application",)),
    ("x-tool", "tool", "intermediate", ("application",)),
)


def level_rank(level: str) -> str:
    """The rank the catalogue API gives a version whose officer names none."""
    return level_code(level_of(level))


P95_SEARCH, P95_TEAM, SUMMARY_S = 0.100, 0.300, 1.0
RUNS = 20


def _batches(conn: Any, table: Any, rows: list[dict[str, Any]], size: int = 20_000) -> None:
    for i in range(0, len(rows), size):
        conn.execute(insert(table), rows[i : i + size])


def seed(engine: Engine, persons: int, certificates: int) -> None:
    rng = random.Random(10)
    with engine.begin() as conn:
        version_ids = []
        # Numbered after the migration's seed catalogue, as the catalogue API
        # numbers new entries: each within the 39 that have a bit of their own
        # in the persons' masks (domain/staffing.py `entry_bit`).
        first = 1 + max(
            int(conn.scalar(select(func.coalesce(func.max(column), 0))) or 0)
            for column in (CatalogueEntry.id, CatalogueVersion.id)
        )
        for index, (code, kind, level, roles) in enumerate(VERSIONS, start=first):
            conn.execute(
                insert(CatalogueEntry.__table__),  # type: ignore[attr-defined]
                [{"id": index, "code": code, "created_by": "bench", "created_at": AT}],
            )
            conn.execute(
                insert(CatalogueVersion.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "id": index,
                        "entry_id": index,
                        "version": 1,
                        "name": code,
                        "issuer": f"issuer {code}",
                        "kind": kind,
                        "level": level,
                        "level_rank": level_rank(level),
                        "roles": sorted(roles),
                        "sector": "industry",
                        "recognised_from": date(2020, 1, 1),
                        "created_by": "bench",
                        "created_at": AT,
                    }
                ],
            )
            version_ids.append(index)
        people, roles_rows, hours = [], [], []
        for n in range(persons):
            pid = f"P{n:07d}"
            agency = AGENCIES[n % len(AGENCIES)]
            people.append(
                {
                    "person_id": pid,
                    "agency_code": agency,
                    "unit_id": f"U{n % 13}",
                    "refreshed_at": AT,
                }
            )
            draw = rng.random()
            held = [] if draw < 0.5 else rng.sample(ROLES, 2 if draw > 0.9 else 1)
            for role in held:
                roles_rows.append(
                    {
                        "person_id": pid,
                        "agency_code": agency,
                        "role": role,
                        "reason": "duties",
                        "assigned_by": "bench",
                        "assigned_at": AT,
                    }
                )
            if rng.random() < 0.7:
                centi = rng.randint(0, 4000)
                hours.append(
                    {
                        "person_id": pid,
                        "year": 2026,
                        "ai_centi": centi,
                        "basic_centi": centi // 2,
                        "advanced_centi": centi - centi // 2,
                        "changed_at": AT,
                        "pulled_at": AT,
                    }
                )
        _batches(conn, TalentPerson.__table__, people)  # type: ignore[attr-defined]
        _batches(conn, TalentRoleAssignment.__table__, roles_rows)  # type: ignore[attr-defined]
        _batches(conn, PersonAiHours.__table__, hours)  # type: ignore[attr-defined]
        certs = []
        for n in range(certificates):
            person = rng.randrange(persons)
            obtained = date(2024 + rng.randint(0, 2), rng.randint(1, 12), rng.randint(1, 28))
            lapses = None if rng.random() < 0.4 else obtained.replace(year=obtained.year + 2)
            state = rng.choices(("verified", "expired", "revoked", "submitted"), (80, 8, 4, 8))[0]
            certs.append(
                {
                    "person_id": f"P{person:07d}",
                    "agency_code": AGENCIES[person % len(AGENCIES)],
                    "catalogue_version_id": rng.choice(version_ids),
                    "issuer": "issuer",
                    "certificate_number": f"N{n:08d}",
                    "obtained_on": obtained,
                    "expires_on": lapses,
                    "state": state,
                    "source": "imported",
                    "registered_by": "bench",
                    "registered_at": AT,
                }
            )
        _batches(conn, Certificate.__table__, certs)  # type: ignore[attr-defined]
    # A bulk load leaves no visibility map on PostgreSQL, and index-only scans
    # of the covering indexes would still read every heap page: vacuum as
    # autovacuum would soon after such a load, and gather statistics.
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))
    # Rows written straight into the tables are uncounted: count every person's
    # valid certificates for the day, as the daily expiry job does.
    start = time.perf_counter()
    with Session(engine) as session:
        recounted = person_certificates.recount_uncovered(session, DAY)
        # And copy their hours onto their rows, as the pull does.
        talent_persons.copy_hours(session, [f"P{n:07d}" for n in range(persons)])
        session.commit()
    took = time.perf_counter() - start
    print(f"  counted {recounted:,} persons' valid certificates in {took:.1f} s")
    # The recount rewrote every person's row: vacuum again for the visibility map.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))


def officer(agencies: list[str]) -> Principal:
    return Principal(
        sub="bench.hr",
        kind="human",
        person_id="P-BENCH",
        agency_code=agencies[0],
        agency_scope=agencies,
        permissions=["certs:staffing:read:agency"],
    )


def _once(engine: Engine, work: Callable[[Session], object]) -> float:
    with Session(engine) as session:
        start = time.perf_counter()
        work(session)
        took = time.perf_counter() - start
        session.rollback()
    return took


def _uncovered(session: Session, day: date) -> bool:
    return False


def timed(engine: Engine, work: Callable[[Session], object], runs: int = RUNS) -> list[float]:
    return [_once(engine, work) for _ in range(runs)]


def timed_pair(
    engine: Engine, work: Callable[[Session], object], runs: int = RUNS
) -> tuple[list[float], list[float]]:
    """The times of `work` as served (from the persons' masks, which cover the
    day), and, run by turns with them so that both see the same load, its
    times when the masks are taken not to cover it (per person EXISTS, the
    same-run baseline)."""
    served, by_rows = [], []
    covers = person_certificates.counts_cover
    for _ in range(runs):
        served.append(_once(engine, work))
        person_certificates.counts_cover = _uncovered
        try:
            by_rows.append(_once(engine, work))
        finally:
            person_certificates.counts_cover = covers
    return served, by_rows


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


SEARCHES: dict[str, staffing.SearchAsk] = {
    "scope only, by AI hours": staffing.SearchAsk(),
    "role development": staffing.SearchAsk(roles=frozenset({"development"})),
    "kind project_technical": staffing.SearchAsk(kinds=frozenset({"project_technical"})),
    "level >= advanced": staffing.SearchAsk(min_level=Level.ADVANCED),
    "entry ipas-mid": staffing.SearchAsk(codes=frozenset({"ipas-mid"})),
    "AI hours >= 30": staffing.SearchAsk(min_ai_hours=Decimal(30)),
    "unit U3": staffing.SearchAsk(unit_id="U3"),
    "combined: role+kind+hours+agency": staffing.SearchAsk(
        roles=frozenset({"development"}),
        kinds=frozenset({"tool"}),
        min_ai_hours=Decimal(6),
        agency_code="A01",
    ),
    "combined: role+level+hours": staffing.SearchAsk(
        roles=frozenset({"policy"}), min_level=Level.INTERMEDIATE, min_ai_hours=Decimal(10)
    ),
    "sort by certificates": staffing.SearchAsk(sort=SortKey.CERTIFICATES),
    "sort by person id": staffing.SearchAsk(sort=SortKey.PERSON_ID),
}


def run(engine: Engine, label: str) -> None:
    peers = Peers({}, lambda peer: "")
    page = PageParams(limit=50, cursor=None)
    with engine.connect() as conn:
        start = time.perf_counter()
        conn.execute(
            text(
                "SELECT count(*) FROM certificates WHERE state IN ('verified','expired') "
                "AND obtained_on <= :d AND (expires_on IS NULL OR expires_on > :d)"
            ),
            {"d": DAY},
        ).scalar()
        base = time.perf_counter() - start
    print(
        f"\n{label}: baseline raw scan of valid certificates {base * 1000:.1f} ms; load {_load()}"
    )
    print(
        f"{'workload':<40} {'scope':>6} {'p50 ms':>8} {'p95 ms':>8} {'x base':>7} "
        f"{'EXISTS p95':>10} {'x EXISTS':>8} target"
    )

    def line(name: str, scope: int, figures: tuple[list[float], list[float]], target: str) -> float:
        served, by_rows = figures
        worst, rows_worst = p95(served), p95(by_rows)
        print(
            f"{name:<40} {scope:>6} {statistics.median(served) * 1000:>8.1f} "
            f"{worst * 1000:>8.1f} {worst / base:>7.2f} {rows_worst * 1000:>10.1f} "
            f"{worst / rows_worst:>8.2f} {target}"
        )
        return worst

    for scope in (AGENCIES[:5], AGENCIES):
        who = officer(scope)
        for name, ask in SEARCHES.items():
            figures = timed_pair(
                engine,
                lambda s, a=ask, w=who: staffing.search(s, w, peers, a, page, DAY),  # type: ignore[misc]
            )
            worst = p95(figures[0])
            line(name, len(scope), figures, f"<=100 ms {'ok' if worst <= P95_SEARCH else 'OVER'}")
    team = TeamProposalAsk(
        slots=[
            SlotAsk(role="policy", count=1),
            SlotAsk(role="development", count=2),
            SlotAsk(role="application", count=3),
        ],
        valid_on=DAY,
    )
    for scope in (AGENCIES[:5], AGENCIES):
        who = officer(scope)
        figures = timed_pair(
            engine,
            lambda s, w=who: team_proposal.propose(s, w, peers, team, DAY),  # type: ignore[misc]
        )
        worst = p95(figures[0])
        line(
            "team proposal, 6 seats in 3 slots",
            len(scope),
            figures,
            f"<=300 ms {'ok' if worst <= P95_TEAM else 'OVER'}",
        )
    who = officer(AGENCIES[:5])
    figures = timed_pair(
        engine,
        lambda s: agency_files.summary(s, who, peers, "A00", DAY, False),
        runs=5,
    )
    five = officer(AGENCIES[:5])
    wide = timed_pair(
        engine,
        lambda s: [agency_files.summary(s, five, peers, a, DAY, False) for a in AGENCIES[:5]],
        runs=5,
    )
    # p95 of 5 runs: nearly the slowest.
    worst = p95(figures[0])
    line(
        "agency summary, one agency", 1, figures, f"<=1 s {'ok' if worst <= SUMMARY_S else 'OVER'}"
    )
    line("agency summary, 5 agencies in turn", 5, wide, "(5 summaries)")


def bench(url: str, label: str, persons: int, certificates: int) -> None:
    upgrade("certs", url)
    engine = create_engine(url)
    start = time.perf_counter()
    seed(engine, persons, certificates)
    print(
        f"{label}: seeded {persons:,} persons, {certificates:,} certificates in "
        f"{time.perf_counter() - start:.0f} s"
    )
    run(engine, label)
    engine.dispose()


def _load() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg()) + " (1 / 5 / 15 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="30,000 persons, 50,000 certificates")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    persons, certificates = (30_000, 50_000) if args.small else (300_000, 500_000)
    print(f"{os.cpu_count()} CPUs; load average {_load()} at the start")
    if not args.skip_postgresql:
        name = f"renshi_bench_certs_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            bench(url, "postgresql", persons, certificates)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{Path(tmp) / 'certs.db'}", "sqlite", persons, certificates)
    print(f"load average {_load()} at the end")


if __name__ == "__main__":
    main()
