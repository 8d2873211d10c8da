"""Replicas for real: two processes of every service on PostgreSQL behind two
gateways sharing one Redis (tests/replicas/cluster.py), and what must hold
when they share the load: a scheduled job runs once a day, a balance is never
overdrawn, a queued import is taken by one replica, and a rate limit is counted
once across the gateways."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlmodel import Session

from services.attendance.domain.comptime import (
    ComptimeLedger,
    EntryKind,
    Grant,
    InsufficientBalance,
    expiry_date,
)
from services.attendance.models import RosterPerson
from services.attendance.store import ledger as ledger_store
from services.attendance.store.locking import lock_person
from services.certs.models import CatalogueVersion, Certificate
from services.common.db import make_engine
from services.common.transactions import batch_transaction
from tests.databases import BACKEND
from tests.e2e.test_renshi_up import ROOT
from tests.replicas.cluster import Cluster, running_cluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("replicas"),
    # The item is defined on PostgreSQL (advisory locks, row locks, SKIP LOCKED
    # across processes); CI's PostgreSQL leg always runs it.
    pytest.mark.skipif(BACKEND != "postgresql", reason="replicas are shown on PostgreSQL only"),
]

PROBLEM = "application/problem+json"
# Per principal, per day: a day-long window, so that a burst of a few seconds
# falls in one window of the sliding-window counter (see the rate-limit test).
PRINCIPAL_LIMIT = 100

# The comp-leave holder (emp.a01) and the grants the fixture gives them.
HOLDER, HOLDER_AGENCY = "P0003", "A01"
HOLDER_GRANTS = ((date(2026, 11, 2), 480), (date(2026, 11, 9), 300), (date(2026, 11, 16), 240))
LEAVE_STARTS = "2026-12-21T09:00:00+08:00"
LEAVE_DAY = date(2026, 12, 21)
LEAVE_MINUTES = 60
REQUESTS = 50

# A person whose grants lapsed before the jobs' day, and two certificates that did.
LAPSING, LAPSED_GRANTS = "P0005", ((date(2024, 3, 4), 120), (date(2024, 3, 11), 180))
JOB_DAY = date(2026, 6, 1)
LAPSED_CERTIFICATES = (("R-CERT-1", date(2026, 4, 30)), ("R-CERT-2", date(2026, 5, 31)))


def _add_grants(session: Session, person_id: str, grants: tuple[tuple[date, int], ...]) -> None:
    lock_person(session, person_id)
    ledger = ledger_store.load_ledger(session, person_id, HOLDER_AGENCY)
    for earned_on, minutes in grants:
        row = ledger_store.add_grant_row(
            session,
            person_id=person_id,
            agency_code=HOLDER_AGENCY,
            overtime_id=None,
            earned_on=earned_on,
            minutes=minutes,
            expires_on=expiry_date(earned_on),
        )
        ledger, added = ledger.add_grant(ledger_store.to_grant(row))
        ledger_store.append(session, person_id, added)


def _seed(urls: dict[str, str]) -> None:
    """The rows these tests start from, written before any process starts."""
    attendance = make_engine(urls["attendance"])
    try:
        with batch_transaction(attendance) as session:
            for person in (HOLDER, LAPSING):
                session.add(
                    RosterPerson(
                        person_id=person,
                        agency_code=HOLDER_AGENCY,
                        unit_code="GEN",
                        supervisor_id="P0006",
                        source="replicas-test",
                    )
                )
            session.flush()
            _add_grants(session, HOLDER, HOLDER_GRANTS)
            _add_grants(session, LAPSING, LAPSED_GRANTS)
    finally:
        attendance.dispose()
    certs = make_engine(urls["certs"])
    try:
        with batch_transaction(certs) as session:
            version = session.execute(select(func.min(CatalogueVersion.id))).scalar_one()
            for number, expires_on in LAPSED_CERTIFICATES:
                session.add(
                    Certificate(
                        person_id=HOLDER,
                        agency_code=HOLDER_AGENCY,
                        catalogue_version_id=version,
                        issuer="replicas-test",
                        certificate_number=number,
                        obtained_on=date(2025, 1, 2),
                        expires_on=expires_on,
                        state="verified",
                        source="submitted",
                        registered_by="replicas-test",
                    )
                )
    finally:
        certs.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(
        tmp_path_factory.mktemp("replicas"),
        seed=_seed,
        GATEWAY_RATE_LIMIT_PER_PRINCIPAL=f"{PRINCIPAL_LIMIT}/day",
        GATEWAY_RATE_LIMIT_PER_IP="100000/minute",
        # Both directory workers look often: a queued job is a real contest.
        DIRECTORY_IMPORT_WORKER_POLL_SECONDS="0.2",
    ) as running:
        yield running


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


# ------------------------------------------------------------------ 1. jobs


def _fire_jobs_at_once(cluster: Cluster, jobs: tuple[str, ...], day: date) -> list[list[Any]]:
    """The jobs fired for `day` in each replica's environment at the same moment:
    both runners are started, and told to go once both are ready."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.replicas.fire_jobs", day.isoformat(), *jobs],
            cwd=ROOT,
            env=replica.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for replica in cluster.replicas.values()
    ]
    try:
        for run in runs:
            assert run.stdout is not None
            line = run.stdout.readline()
            # An empty line: it exited before it was ready, and said why on stderr.
            assert line.strip() == "ready", line or (run.stderr and run.stderr.read())
        for run in runs:
            assert run.stdin is not None
            run.stdin.write("go\n")
            run.stdin.flush()
        summaries = []
        for run in runs:
            out, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
            summaries.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    # Per job, what each replica's run said.
    return [[replica[n] for replica in summaries] for n in range(len(jobs))]


def _one_ran(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    ran = [s for s in summaries if "skipped" not in s]
    skipped = [s["skipped"] for s in summaries if "skipped" in s]
    assert len(ran) == 1, summaries
    assert len(skipped) == 1 and skipped[0] in {"already ran today", "running elsewhere"}, summaries
    return ran[0]


def test_each_daily_job_runs_once_across_replicas(cluster: Cluster) -> None:
    expire, expiry = _fire_jobs_at_once(cluster, ("attendance.expire", "certs.expiry"), JOB_DAY)
    attendance_run, certs_run = _one_ran(expire), _one_ran(expiry)

    lapsed = sum(minutes for _, minutes in LAPSED_GRANTS)
    assert (attendance_run["persons"], attendance_run["expired_minutes"]) == (1, lapsed)
    attendance = cluster.database_urls["attendance"]
    runs = _rows(attendance, "SELECT day, status FROM job_runs WHERE job = 'expire'")
    assert [(r.day, r.status) for r in runs] == [(JOB_DAY, "done")]
    expired = _rows(
        attendance,
        "SELECT person_id, minutes FROM comptime_entries WHERE kind = :kind",
        kind=EntryKind.EXPIRE.value,
    )
    # One expiry entry per lapsed grant: the effect applied once.
    assert sorted((r.person_id, r.minutes) for r in expired) == sorted(
        (LAPSING, -m) for _, m in LAPSED_GRANTS
    )

    assert certs_run["expired"] == len(LAPSED_CERTIFICATES)
    certs = cluster.database_urls["certs"]
    runs = _rows(certs, "SELECT day, status FROM job_runs WHERE job = 'expiry'")
    assert [(r.day, r.status) for r in runs] == [(JOB_DAY, "done")]
    events = _rows(
        certs,
        "SELECT certificate_id FROM certificate_events WHERE to_state = 'expired'",
    )
    notices = _rows(
        certs,
        "SELECT dedupe_key FROM notices WHERE kind = 'certificate_expired'",
    )
    assert len(events) == len({r.certificate_id for r in events}) == len(LAPSED_CERTIFICATES)
    assert sorted(r.dedupe_key for r in notices) == sorted(
        f"expired:{r.certificate_id}" for r in events
    )
    states = _rows(
        certs,
        "SELECT state FROM certificates WHERE issuer = 'replicas-test'",
    )
    assert [r.state for r in states] == ["expired"] * len(LAPSED_CERTIFICATES)


# ------------------------------------------------------------- 2. balances


def _expected_accepted() -> int:
    """How many of the requests the domain accepts, one after another, from
    the fixture's grants: the answer however the replicas interleave them."""
    ledger = ComptimeLedger(HOLDER, HOLDER_AGENCY)
    for n, (earned_on, minutes) in enumerate(HOLDER_GRANTS):
        grant = Grant(str(n), HOLDER, earned_on, minutes, expiry_date(earned_on))
        ledger, _ = ledger.add_grant(grant)
    accepted = 0
    for n in range(REQUESTS):
        try:
            ledger, _ = ledger.use(str(n), LEAVE_MINUTES, LEAVE_DAY)
        except InsufficientBalance:
            continue
        accepted += 1
    return accepted


def test_concurrent_comp_leave_through_both_gateways_never_overdraws(cluster: Cluster) -> None:
    token = cluster.token("emp.a01")
    gateways = cluster.gateways
    body = {"starts_at": LEAVE_STARTS, "minutes": LEAVE_MINUTES}

    def ask(n: int) -> httpx.Response:
        return httpx.post(
            f"{gateways[n % 2]}/api/attendance/comp-leave",
            json=body,
            headers=_auth(token),
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(ask, range(REQUESTS)))

    granted = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code != 201]
    assert all(a.status_code == 409 for a in refused), [a.text for a in refused]
    for answer in refused:
        assert answer.headers["content-type"] == PROBLEM
        problem = answer.json()
        assert problem["type"].endswith("/insufficient-comp-time"), problem
        assert problem["requested_minutes"] == LEAVE_MINUTES
        assert 0 <= problem["available_minutes"] < LEAVE_MINUTES, problem
    balance = sum(minutes for _, minutes in HOLDER_GRANTS)
    taken = sum(sum(t["minutes"] for t in a.json()["allocations"]) for a in granted)
    assert taken == len(granted) * LEAVE_MINUTES <= balance
    assert len(granted) == _expected_accepted()
    # Both gateways, hence both attendance replicas, granted some.
    assert {str(a.request.url).split("/api/")[0] for a in granted} == set(gateways)

    for gateway in gateways:
        seen = httpx.get(
            f"{gateway}/api/attendance/persons/{HOLDER}/comp-time",
            params={"as_of": LEAVE_DAY.isoformat()},
            headers=_auth(cluster.token("hr.a01")),
            timeout=30,
        )
        assert seen.status_code == 200, seen.text
        assert seen.json()["balance_minutes"] == balance - taken >= 0
    per_grant = [
        (r.grant_id, r.left)
        for r in _rows(
            cluster.database_urls["attendance"],
            "SELECT grant_id, SUM(minutes) AS left FROM comptime_entries"
            " WHERE person_id = :person GROUP BY grant_id",
            person=HOLDER,
        )
    ]
    assert len(per_grant) == len(HOLDER_GRANTS)
    # The ledger itself: no grant below zero, the whole as the API says.
    assert all(left >= 0 for _, left in per_grant), per_grant
    assert sum(left for _, left in per_grant) == balance - taken


# --------------------------------------------------------------- 3. imports

PERSON_HEADER = "id,name,agency_code,unit_code,national_id,email,status\n"
IMPORTS, ROWS_EACH = 4, 25


def _person_file(job: int) -> bytes:
    lines = [
        f"R{job}{n:04d},複本{job}-{n},{'A01' if n % 2 else 'A02'},,,,active\n"
        for n in range(ROWS_EACH)
    ]
    return (PERSON_HEADER + "".join(lines)).encode()


def test_a_queued_import_is_taken_by_exactly_one_replica(cluster: Cluster) -> None:
    importer = _auth(cluster.token("importer.elearn"))
    gateways = cluster.gateways

    def post(job: int) -> tuple[str, int]:
        gateway = gateways[job % 2]
        answer = httpx.post(
            f"{gateway}/api/directory/persons/import",
            content=_person_file(job),
            headers={**importer, "Content-Type": "text/csv", "Prefer": "respond-async"},
            timeout=60,
        )
        assert answer.status_code == 202, answer.text
        assert answer.headers["preference-applied"] == "respond-async"
        return gateway, int(answer.json()["id"])

    with ThreadPoolExecutor(max_workers=IMPORTS) as pool:
        posted = list(pool.map(post, range(IMPORTS)))

    deadline = time.monotonic() + 120
    finished: dict[int, dict[str, Any]] = {}
    while len(finished) < IMPORTS and time.monotonic() < deadline:
        for gateway, job_id in posted:
            if job_id in finished:
                continue
            job = httpx.get(
                f"{gateway}/api/directory/persons/imports/{job_id}", headers=importer, timeout=30
            ).json()
            if job["status"] not in ("queued", "running"):
                finished[job_id] = job
        if len(finished) < IMPORTS:
            time.sleep(0.2)  # polling the jobs, bounded by the deadline
    assert len(finished) == IMPORTS, "the imports did not finish in time"
    for job in finished.values():
        assert job["status"] == "completed", job
        # Every row created once: a second run of the job would find them unchanged.
        assert (job["rows"], job["created"], job["updated"], job["unchanged"], job["failed"]) == (
            ROWS_EACH,
            ROWS_EACH,
            0,
            0,
            0,
        ), job

    directory = cluster.database_urls["directory"]
    stored = _rows(directory, "SELECT id FROM persons WHERE id LIKE 'R%'")
    assert sorted(r.id for r in stored) == sorted(
        f"R{job}{n:04d}" for job in range(IMPORTS) for n in range(ROWS_EACH)
    )
    workers = _rows(
        directory,
        "SELECT id, status, worker FROM import_jobs WHERE id = ANY(:ids)",
        ids=[job_id for _, job_id in posted],
    )
    replicas = {replica.pid("directory"): name for name, replica in cluster.replicas.items()}
    for row in workers:
        # hostname:pid:nonce of the one worker that won the claim.
        assert row.status == "completed"
        assert int(row.worker.split(":")[1]) in replicas, (row.worker, replicas)


# ----------------------------------------------------------- 4. rate limits


def test_the_per_principal_rate_limit_is_counted_once_across_gateways(cluster: Cluster) -> None:
    token = cluster.token("trainer.a01")
    gateways = cluster.gateways
    window = 86_400
    began = time.time()
    answers = []
    with httpx.Client(timeout=30) as client:
        for n in range(PRINCIPAL_LIMIT + 10):
            answers.append(
                client.get(f"{gateways[n % 2]}/api/training/categories", headers=_auth(token))
            )
    ended = time.time()
    allowed = [a for a in answers if a.status_code == 200]
    limited = [a for a in answers if a.status_code == 429]
    assert len(allowed) + len(limited) == len(answers), [a.text for a in answers][-3:]
    if int(began // window) == int(ended // window):
        # One window: exactly the limit in total, not the limit per gateway.
        assert answers[:PRINCIPAL_LIMIT] == allowed
        assert len(limited) == 10
    else:
        # The burst straddled midnight UTC: the counter weighs the earlier window.
        assert PRINCIPAL_LIMIT <= len(allowed) < 2 * PRINCIPAL_LIMIT
    for answer in limited:
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["type"].endswith("/rate-limited")
        assert int(answer.headers["retry-after"]) >= 1
    assert {str(a.request.url).split("/api/")[0] for a in limited} == set(gateways)
