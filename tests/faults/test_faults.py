"""Faults on the whole system under `renshi up`: a service killed while a
request is in flight, a database that goes away and comes back, an import
killed part-way. The gateway must answer 503 problem+json at once (never hang
until its timeout, never 500), the system must serve again without anyone
restarting a service, and a killed import re-posted with its idempotency key
must end with every row of the file once."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col

from services.directory.models import Person
from services.directory.service.person_import import BATCH_SIZE as PERSON_BATCH
from tests.databases import BACKEND, PG_ADMIN_URL
from tests.fuzz.system import System, running_system

READ_TIMEOUT = 20.0  # the gateway's upstream read timeout in these tests
PROBLEM = "application/problem+json"
# A job killed with its process stays `running`; after this long without a commit
# a re-post with its key may take it on (the default 120 s would only slow the test).
IMPORT_LEASE = 2.0


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(
        tmp_path_factory.mktemp("faults"),
        GATEWAY_UPSTREAM_READ_TIMEOUT=str(READ_TIMEOUT),
        # The first restart at once: the test waits for the service, not a back-off.
        RENSHI_UP_RESTART_DELAY="0.2",
        DIRECTORY_IMPORT_LEASE_SECONDS=str(IMPORT_LEASE),
    ) as running:
        yield running


def _until_ok(call: object, deadline: float) -> httpx.Response:
    assert callable(call)
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        last = call()
        if last.status_code == 200:
            return last
        assert last.status_code == 503 and last.headers["content-type"] == PROBLEM, last.text
        time.sleep(0.2)  # polling recovery, bounded by the deadline
    raise AssertionError(f"no recovery: {last.text if last else 'no answer'}")


@pytest.mark.slow
def test_a_service_killed_mid_request_gives_503_at_once_then_serves_again(
    system: System,
) -> None:
    importer = {"Authorization": f"Bearer {system.token('importer.elearn')}"}
    sent_head = threading.Event()
    killed = threading.Event()

    def body() -> Iterator[bytes]:
        # The rest of the body goes only once the service is dead: the request
        # is in flight, forwarded or being forwarded, when it dies.
        yield b"person_id,course_code,hours\n"
        sent_head.set()
        killed.wait(30)
        yield b"P0003,AI-101,1\n" * 20

    outcome: dict[str, object] = {}

    def post() -> None:
        started = time.monotonic()
        outcome["response"] = httpx.post(
            f"{system.base}/api/training/imports",
            content=body(),
            headers={**importer, "Content-Type": "text/csv"},
            timeout=READ_TIMEOUT * 3,
        )
        outcome["seconds"] = time.monotonic() - started

    pid = system.pids()["training"]
    caller = threading.Thread(target=post)
    caller.start()
    assert sent_head.wait(30)
    os.kill(pid, signal.SIGKILL)
    killed.set()
    caller.join(READ_TIMEOUT * 3)
    response = outcome["response"]
    assert isinstance(response, httpx.Response)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/service-unavailable")
    seconds = outcome["seconds"]
    assert isinstance(seconds, float) and seconds < READ_TIMEOUT / 2, seconds

    # The runner starts it again; the gateway reaches the new process by itself.
    back = _until_ok(
        lambda: httpx.get(f"{system.base}/api/training/imports", headers=importer, timeout=30),
        time.monotonic() + 90,
    )
    assert back.json()["items"] == []  # the killed import left no job behind
    assert system.pids()["training"] != pid


def _admin_engine() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite has no server to lose")
def test_a_database_that_goes_away_gives_503_then_recovers_without_a_restart(
    system: System,
) -> None:
    hr = {"Authorization": f"Bearer {system.token('hr.a01')}"}
    name = make_url(system.database_urls["attendance"]).database
    url = f"{system.base}/api/attendance/comp-leave"
    pid = system.pids()["attendance"]
    assert httpx.get(url, headers=hr, timeout=30).status_code == 200
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            # As a restarting server: no new connection, and every one it had cut.
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        for _ in range(3):
            down = httpx.get(url, headers=hr, timeout=30)
            assert down.status_code == 503, down.text
            assert down.headers["content-type"] == PROBLEM
            assert "retry-after" in down.headers
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    back = _until_ok(lambda: httpx.get(url, headers=hr, timeout=30), time.monotonic() + 30)
    assert back.status_code == 200
    assert system.pids()["attendance"] == pid, "the service was restarted"


PERSON_ROWS = 5 * PERSON_BATCH
PERSON_HEADER = b"id,name,agency_code,unit_code,national_id,email,status\n"


def _person_line(n: int) -> bytes:
    return f"K{n:06d},員工{n},{'A01' if n % 2 else 'A02'},,,,active\n".encode()


def _person_job(system: System, headers: dict[str, str], key: str) -> dict[str, object] | None:
    answer = httpx.get(f"{system.base}/api/directory/persons/imports", headers=headers, timeout=30)
    if answer.status_code != 200:
        return None
    jobs = [j for j in answer.json()["items"] if j["idempotency_key"] == key]
    assert len(jobs) <= 1, jobs
    return jobs[0] if jobs else None


def _stored_person_ids(system: System) -> list[str]:
    url = system.database_urls.get("directory") or f"sqlite:///{system.var / 'directory.db'}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(select(col(Person.id)).where(col(Person.id).like("K%"))).scalars()
            )
    finally:
        engine.dispose()


@pytest.mark.slow
def test_an_import_killed_at_a_random_row_resumes_with_its_key_without_loss_or_duplicates(
    system: System,
) -> None:
    importer = {"Authorization": f"Bearer {system.token('importer.elearn')}"}
    key = f"persons-killed-{random.getrandbits(32):08x}"
    # The row at which the service dies: past the first committed batch, before the end.
    cut = random.randint(PERSON_BATCH + 1, PERSON_ROWS - 1)
    lines = [_person_line(n) for n in range(1, PERSON_ROWS + 1)]
    file = PERSON_HEADER + b"".join(lines)
    killed = threading.Event()

    def body() -> Iterator[bytes]:
        # Rows up to the cut, then nothing until the service is dead: it dies
        # with batches committed and the rows after them read or not yet sent.
        yield PERSON_HEADER + b"".join(lines[:cut])
        killed.wait(60)
        yield b"".join(lines[cut:])

    outcome: dict[str, object] = {}

    def post() -> None:
        try:
            outcome["response"] = httpx.post(
                f"{system.base}/api/directory/persons/import",
                content=body(),  # chunked: the import runs in its request
                headers={**importer, "Content-Type": "text/csv", "Idempotency-Key": key},
                timeout=READ_TIMEOUT * 3,
            )
        except httpx.HTTPError as exc:  # the connection cut with the gateway's answer
            outcome["response"] = exc

    pid = system.pids()["directory"]
    caller = threading.Thread(target=post)
    caller.start()
    try:
        deadline = time.monotonic() + 60
        job = None
        while time.monotonic() < deadline:
            job = _person_job(system, importer, key)
            progress = job["progress"] if job else None
            if isinstance(progress, dict) and progress["rows_done"] >= PERSON_BATCH:
                break
            time.sleep(0.1)  # polling the job's progress, bounded by the deadline
        assert job is not None and job["status"] == "running", job
        os.kill(pid, signal.SIGKILL)
    finally:
        killed.set()
        caller.join(READ_TIMEOUT * 3)
    response = outcome["response"]
    if isinstance(response, httpx.Response):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM

    # The runner starts the directory again; the job it left still reads running,
    # with the batches committed before the kill and no more.
    deadline = time.monotonic() + 60
    left = None
    while time.monotonic() < deadline and left is None:
        left = _person_job(system, importer, key)
        if left is None:
            time.sleep(0.2)  # polling the restart, bounded by the deadline
    assert left is not None, "the directory did not come back"
    assert system.pids()["directory"] != pid
    progress = left["progress"]
    assert isinstance(progress, dict)
    committed = progress["rows_done"]
    assert committed % PERSON_BATCH == 0 and PERSON_BATCH <= committed <= cut, (committed, cut)
    assert len(_stored_person_ids(system)) == committed

    # The same file with the same key: refused while the dead job's lease runs,
    # then resumed after the committed rows (checked against their digest).
    deadline = time.monotonic() + 60
    while True:
        again = httpx.post(
            f"{system.base}/api/directory/persons/import",
            content=file,
            headers={**importer, "Content-Type": "text/csv", "Idempotency-Key": key},
            timeout=READ_TIMEOUT * 3,
        )
        if again.status_code != 409 or time.monotonic() > deadline:
            break
        assert "still running" in again.json()["detail"], again.text
        time.sleep(IMPORT_LEASE / 4)  # the lease running out, bounded by the deadline
    assert again.status_code in (200, 201), again.text
    report = again.json()
    assert report["status"] == "completed"
    assert report["rows"] == PERSON_ROWS
    # Every row inserted once: the resumed part wrote only the rows after the cut,
    # none of the committed ones again (they would count as unchanged).
    assert (report["created"], report["updated"], report["unchanged"]) == (PERSON_ROWS, 0, 0)
    assert report["failed"] == 0, report["errors"]
    stored = _stored_person_ids(system)
    assert len(stored) == len(set(stored)) == PERSON_ROWS
    assert set(stored) == {f"K{n:06d}" for n in range(1, PERSON_ROWS + 1)}
    # The job it resumed is the one the kill left, its progress the whole file.
    assert report["job_id"] == left["id"]
    job_url = f"{system.base}/api/directory/persons/imports/{left['id']}"
    done = httpx.get(job_url, headers=importer, timeout=30).json()
    assert (done["status"], done["rows"], done["created"]) == (
        "completed",
        PERSON_ROWS,
        PERSON_ROWS,
    )
