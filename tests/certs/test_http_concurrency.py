"""Decisions and submissions racing each other, through a real server: the
certs app under uvicorn with its real threadpool, 20 clients at once. Every
answer is a success or a 409 (never a 5xx); exactly one decision is taken on a
certificate, and one issuer's number is registered once. On SQLite and on
PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from tests.certs.conftest import HOLDER, HR_A01, add_entry, submit

REQUESTS = 20


@pytest.fixture
def live_certs(certs_app) -> Iterator[str]:
    """The certs app on a free port; the socket listens before the server
    starts, so clients connect at once (no waiting for it to come up)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(REQUESTS * 2)
    config = uvicorn.Config(certs_app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        certs_app.state.engine.dispose()


async def _all(url: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        return await asyncio.gather(*(client.request(m, p, **kw) for m, p, kw in requests))


def _auth(internal_token: Callable[..., str], principal: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {internal_token('certs', **principal)}"}


def test_one_decision_wins(call, live_certs, internal_token) -> None:
    certificate = submit(call, add_entry(call)["current"]["id"])
    officers = [{**HR_A01, "sub": f"hr{n}.a01", "person_id": f"P-HR{n}"} for n in range(REQUESTS)]
    requests = [
        (
            "POST",
            f"/certificates/{certificate['id']}/{'verify' if n % 2 else 'reject'}",
            {"json": {"reason": "checked"}, "headers": _auth(internal_token, officers[n])},
        )
        for n in range(REQUESTS)
    ]
    answers = asyncio.run(_all(live_certs, requests))
    assert Counter(a.status_code for a in answers) == {200: 1, 409: REQUESTS - 1}
    events = call("GET", f"/certificates/{certificate['id']}/events", HOLDER).json()["items"]
    assert [e["to_state"] for e in events][1:] in (["verified"], ["rejected"])


def test_one_issuers_number_is_registered_once(call, live_certs, internal_token) -> None:
    version_id = add_entry(call)["current"]["id"]
    holders = [{**HOLDER, "sub": f"emp{n}", "person_id": f"P-{n}"} for n in range(REQUESTS)]
    body = {
        "catalogue_version_id": version_id,
        "certificate_number": "SAME",
        "obtained_on": "2026-03-01",
    }
    requests = [
        ("POST", "/certificates", {"json": body, "headers": _auth(internal_token, holder)})
        for holder in holders
    ]
    answers = asyncio.run(_all(live_certs, requests))
    assert Counter(a.status_code for a in answers) == {201: 1, 409: REQUESTS - 1}
    assert len(call("GET", "/certificates", HR_A01).json()["items"]) == 1
