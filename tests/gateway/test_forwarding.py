"""The production forwarders (the gateway's own HTTP/1.1 client, the default,
and aiohttp) against a real upstream server: bodies streamed and capped,
timeouts and outages as problem+json."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI, Request

from tests.gateway.harness import account, build

IMPORT = "/api/training/imports"
AUDIT = "/api/training/audit/personal-data-reads"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_upstream() -> Iterator[tuple[str, dict]]:
    seen: dict = {"bodies": []}
    app = FastAPI()

    @app.post("/imports")
    async def upload(request: Request) -> dict:
        body = b"".join([chunk async for chunk in request.stream()])
        seen["bodies"].append(len(body))
        return {"received": len(body)}

    @app.get("/audit/personal-data-reads")
    async def slow(delay: float = 0) -> dict:
        await asyncio.sleep(delay)
        return {"items": []}

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # the server flips this once it is listening
        threading.Event().wait(0.01)
    yield f"http://127.0.0.1:{port}", seen
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(params=["h1", "aiohttp"])
def forwarder(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _gateway(tmp_path, upstream: str, forwarder: str, **settings):
    urls = {s: f"http://{s}.internal" for s in ("directory", "certs", "attendance", "speakers")}
    urls["training"] = upstream
    client, harness = build(tmp_path, forwarder=forwarder, service_urls=urls, **settings)
    harness.accounts["alice"] = account(
        "alice", permissions=["training:imports:elearn", "training:audit:read"]
    )
    return client, harness


def test_large_body_streams_through(tmp_path, live_upstream, forwarder):
    upstream, seen = live_upstream
    client, harness = _gateway(tmp_path, upstream, forwarder, max_body_bytes=5_000_000)
    body = b"x" * 3_000_000
    with client:
        response = client.post(
            IMPORT, content=body, headers={"Authorization": f"Bearer {harness.token()}"}
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"received": len(body)}
    assert seen["bodies"][-1] == len(body)


def test_declared_body_over_the_cap_is_413_before_forwarding(tmp_path, live_upstream, forwarder):
    upstream, seen = live_upstream
    before = len(seen["bodies"])
    client, harness = _gateway(tmp_path, upstream, forwarder, max_body_bytes=1_000)
    with client:
        response = client.post(
            IMPORT, content=b"x" * 2_000, headers={"Authorization": f"Bearer {harness.token()}"}
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert len(seen["bodies"]) == before


def test_streamed_body_over_the_cap_is_413(tmp_path, live_upstream, forwarder):
    upstream, seen = live_upstream
    client, harness = _gateway(tmp_path, upstream, forwarder, max_body_bytes=1_000)

    def chunks():  # no Content-Length: the cap must hold while streaming
        for _ in range(10):
            yield b"y" * 500

    with client:
        response = client.post(
            IMPORT, content=chunks(), headers={"Authorization": f"Bearer {harness.token()}"}
        )
    assert response.status_code == 413
    assert 5_000 not in seen["bodies"]


def test_upstream_timeout_is_504(tmp_path, live_upstream, forwarder):
    upstream, _ = live_upstream
    client, harness = _gateway(tmp_path, upstream, forwarder, upstream_read_timeout=0.2)
    with client:
        response = client.get(
            f"{AUDIT}?delay=2", headers={"Authorization": f"Bearer {harness.token()}"}
        )
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"


def test_upstream_down_is_503(tmp_path, forwarder):
    client, harness = _gateway(tmp_path, f"http://127.0.0.1:{_free_port()}", forwarder)
    with client:
        response = client.get(AUDIT, headers={"Authorization": f"Bearer {harness.token()}"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
