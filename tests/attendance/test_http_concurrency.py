"""Many comp-leave requests on one balance at once, through a real server.

The attendance app runs under uvicorn on a socket of its own, with the
framework's real threadpool, and 50 clients post at the same moment over 50
connections. Every answer is 201 or 409 (never a 5xx), and exactly as many are
accepted as the balance holds. Runs on SQLite and on PostgreSQL (a pool of 10 +
10 connections, fewer than the requests)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlmodel import Session, col

from services.attendance.models import ComptimeEntry, personal_data_reads
from tests.attendance.builders import approved_grant, balance

REQUESTS = 50
HELD_HOURS = 15


@pytest.fixture
def live_attendance(apps) -> Iterator[str]:
    """The session's attendance app served on a free port. The socket listens
    before the server starts, so clients can connect at once (the kernel queues
    them until the server accepts): no waiting for the server to come up."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(REQUESTS * 2)
    port = sock.getsockname()[1]
    config = uvicorn.Config(apps["attendance"], log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        # The burst filled the engine's pool; hand those connections back to a
        # PostgreSQL server that other test runs share (the pool reconnects).
        apps["attendance"].state.engine.dispose()


async def _post_all(url: str, headers: dict[str, str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        calls = [
            client.post(
                "/comp-leave",
                json={"starts_at": f"2025-04-{1 + i % 28:02d}T09:00:00+08:00", "minutes": 60},
                headers=headers,
            )
            for i in range(REQUESTS)
        ]
        return list(await asyncio.gather(*calls))


def test_fifty_concurrent_leave_requests_answer_201_or_409(
    api, actors, roster, apps, live_attendance
):
    for day in ("2025-03-01", "2025-03-02", "2025-03-08"):
        approved_grant(api, actors, day, HELD_HOURS * 60 // 3)

    responses = asyncio.run(_post_all(live_attendance, actors.employee("E1")))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: HELD_HOURS, 409: REQUESTS - HELD_HOURS}, statuses
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/insufficient-comp-time")
    assert balance(api, actors, as_of="2025-04-01")["balance_minutes"] == 0
    with Session(apps["attendance"].state.engine) as session:
        total = session.execute(
            select(func.sum(ComptimeEntry.minutes)).where(col(ComptimeEntry.person_id) == "E1")
        ).scalar_one()
    assert total == 0


def test_a_write_that_cannot_get_its_turn_is_503_not_a_hang(apps, monkeypatch):
    """Every writer slot taken (as by writers stuck behind a long lock): the
    next write gives up after the gate's timeout with a 503 and Retry-After,
    before the gateway's own 30 s read timeout, having written nothing."""
    from types import SimpleNamespace

    from services.common import db
    from services.common.errors import ServiceUnavailable

    monkeypatch.setattr(db, "WRITER_GATE_TIMEOUT", 0.2)
    request = SimpleNamespace(app=apps["attendance"])
    slots = db._capacity_of(apps["attendance"].state.engine).writers

    async def scenario() -> ServiceUnavailable:
        holders = [db.get_write_session(request) for _ in range(slots)]  # type: ignore[arg-type]
        for holder in holders:
            await holder.__anext__()
        try:
            late = db.get_write_session(request)  # type: ignore[arg-type]
            with pytest.raises(ServiceUnavailable) as refused:
                await late.__anext__()
            return refused.value
        finally:
            for holder in holders:
                await holder.aclose()

    problem = asyncio.run(scenario())
    assert problem.status == 503
    assert problem.headers["Retry-After"] == "1"


async def _get_all(url: str, path: str, headers: dict[str, str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        return list(
            await asyncio.gather(*(client.get(path, headers=headers) for _ in range(REQUESTS)))
        )


def test_fifty_concurrent_audited_reads_all_answer(api, actors, roster, apps, live_attendance):
    """A read of someone else's balance writes its personal-data read row, so it
    is a write: on SQLite a plain read transaction upgraded to write that row
    failed at once beside another request's commit (SQLITE_BUSY, a 500)."""
    approved_grant(api, actors, "2025-03-01", 120)
    responses = asyncio.run(_get_all(live_attendance, "/persons/E1/comp-time", actors.hr))

    assert Counter(r.status_code for r in responses) == {200: REQUESTS}
    assert {r.json()["balance_minutes"] for r in responses} == {120}
    with Session(apps["attendance"].state.engine) as session:
        audited = session.execute(
            select(func.count())
            .select_from(personal_data_reads)
            .where(personal_data_reads.c.subject_person_id == "E1")
        ).scalar_one()
    assert audited == REQUESTS
