"""The hot path remembers what it computed per distinct value (the source
address and its verdict per peer and X-Forwarded-For, header names): a
remembered answer must be the answer the check gives, for every request."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from gateway import source_ip
from gateway.security.identity_headers import strip_identity_headers
from gateway.source_ip import CLIENT_IP_TEXT_KEY, SourceIpMiddleware


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _answer_address(scope: Scope, receive: Receive, send: Send) -> None:
    body = scope["state"][CLIENT_IP_TEXT_KEY].encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def _middleware() -> SourceIpMiddleware:
    # Behind a trusted proxy in 10/8; only 192.0.2.0/24 may call.
    return SourceIpMiddleware(
        _answer_address, allowed=["192.0.2.0/24"], trusted_proxies=["10.0.0.0/8"]
    )


async def _call(app: SourceIpMiddleware, peer: str, forwarded: str | None) -> tuple[int, bytes]:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/api/x",
        "headers": headers,
        "client": (peer, 40000),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.anyio
async def test_each_forwarded_address_keeps_its_own_verdict_when_repeated() -> None:
    app = _middleware()
    for _ in range(3):
        assert await _call(app, "10.0.0.1", "192.0.2.5") == (200, b"192.0.2.5")
        status, _ = await _call(app, "10.0.0.1", "198.51.100.7")
        assert status == 403
        # The same peer without the header is the proxy itself: not allowed.
        assert (await _call(app, "10.0.0.1", None))[0] == 403
        # An untrusted peer's header is never read.
        assert (await _call(app, "198.51.100.9", "192.0.2.5"))[0] == 403


@pytest.mark.anyio
async def test_a_malformed_forwarded_entry_is_refused_every_time() -> None:
    app = _middleware()
    for _ in range(3):
        assert (await _call(app, "10.0.0.1", "192.0.2.5, unknown"))[0] == 403


@pytest.mark.anyio
async def test_the_remembered_addresses_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_ip, "_MAX_REMEMBERED", 8)
    app = _middleware()
    for host in range(1, 30):
        assert await _call(app, "10.0.0.1", f"192.0.2.{host}") == (200, f"192.0.2.{host}".encode())
        assert len(app._seen) <= 8


def test_a_name_seen_before_is_still_dropped_when_connection_lists_it() -> None:
    plain = [(b"x-trace", b"1"), (b"accept", b"*/*")]
    assert strip_identity_headers(plain) == plain
    listed = [(b"connection", b"x-trace"), *plain]
    assert strip_identity_headers(listed) == [(b"accept", b"*/*")]
    assert strip_identity_headers(plain) == plain


@pytest.mark.parametrize(
    "name", [b"authorization", b"X-User-Id", b"x_user_id", b" x-renshi-principal", b"bad name"]
)
def test_a_refused_name_is_refused_again_once_remembered(name: bytes) -> None:
    for _ in range(3):
        assert strip_identity_headers([(name, b"v"), (b"accept", b"*/*")]) == [(b"accept", b"*/*")]
