"""Faults on the whole system under `renshi up`: a service killed while a
request is in flight, a database that goes away and comes back. The gateway
must answer 503 problem+json at once (never hang until its timeout, never
500), and the system must serve again without anyone restarting a service."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from tests.databases import BACKEND, PG_ADMIN_URL
from tests.fuzz.system import System, running_system

READ_TIMEOUT = 20.0  # the gateway's upstream read timeout in these tests
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(
        tmp_path_factory.mktemp("faults"),
        GATEWAY_UPSTREAM_READ_TIMEOUT=str(READ_TIMEOUT),
        # The first restart at once: the test waits for the service, not a back-off.
        RENSHI_UP_RESTART_DELAY="0.2",
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
