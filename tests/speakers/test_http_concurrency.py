"""Audited lecturer reads at once, through a real server.

The speakers app runs under uvicorn on a socket of its own, with the
framework's real threadpool, and 50 clients read at the same moment over 50
connections. Each read writes its personal-data read row, so each is a write:
every one answers 200 and leaves its row. Runs on SQLite and on PostgreSQL (a
pool of 10 + 10 connections, fewer than the requests)."""

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
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import Session

from services.speakers.models import personal_data_reads

REQUESTS = 50
WRITER = {"permissions": ["speakers:lecturers:write", "speakers:search"]}
SEARCHER = {"sub": "officer.a01", "permissions": ["speakers:search"], "agency_scope": ["A01"]}


@pytest.fixture
def live_speakers(apps: dict[str, FastAPI]) -> Iterator[str]:
    """The session's speakers app served on a free port. The socket listens
    before the server starts, so clients can connect at once (the kernel queues
    them until the server accepts): no waiting for the server to come up."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(REQUESTS * 2)
    port = sock.getsockname()[1]
    config = uvicorn.Config(apps["speakers"], log_level="warning", lifespan="off")
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
        apps["speakers"].state.engine.dispose()


def _bearer(internal_token: Callable[..., str], principal: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {internal_token('speakers', **principal)}"}


async def _get_all(
    url: str, path: str, headers: dict[str, str], params: dict[str, str] | None = None
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        return list(
            await asyncio.gather(
                *(client.get(path, headers=headers, params=params) for _ in range(REQUESTS))
            )
        )


def _audited(apps: dict[str, FastAPI], subject: str) -> int:
    with Session(apps["speakers"].state.engine) as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(personal_data_reads)
                .where(personal_data_reads.c.subject_person_id == subject)
            ).scalar_one()
        )


def _lecturer(client: Callable[[str], Any], internal_token: Callable[..., str]) -> int:
    created = client("speakers").post(
        "/lecturers",
        json={"name": "王大明", "expertise": ["AI"]},
        headers=_bearer(internal_token, WRITER),
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_fifty_concurrent_audited_lecturer_reads_all_answer(
    apps, client, internal_token, live_speakers
):
    """A read of a lecturer writes its personal-data read row, so it is a write:
    on SQLite a plain read transaction upgraded to write that row fails at once
    beside another request's commit (SQLITE_BUSY, a 500)."""
    lecturer_id = _lecturer(client, internal_token)
    headers = _bearer(internal_token, SEARCHER)

    responses = asyncio.run(_get_all(live_speakers, f"/lecturers/{lecturer_id}", headers))

    assert Counter(r.status_code for r in responses) == {200: REQUESTS}
    assert {r.json()["id"] for r in responses} == {lecturer_id}
    assert _audited(apps, f"lecturer:{lecturer_id}") == REQUESTS


def test_fifty_concurrent_audited_lecturer_searches_all_answer(
    apps, client, internal_token, live_speakers
):
    """A search writes a read row for every lecturer it lists, as a read of one does."""
    lecturer_id = _lecturer(client, internal_token)
    headers = _bearer(internal_token, SEARCHER)

    responses = asyncio.run(_get_all(live_speakers, "/lecturers", headers, {"name": "大明"}))

    assert Counter(r.status_code for r in responses) == {200: REQUESTS}
    assert {tuple(i["id"] for i in r.json()["items"]) for r in responses} == {(lecturer_id,)}
    assert _audited(apps, f"lecturer:{lecturer_id}") == REQUESTS
