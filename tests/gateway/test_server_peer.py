"""The server hands the gateway the socket peer: X-Forwarded-For from a local
client must not become the client address before the gateway's own rules run."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from gateway.source_ip import SourceAddresses
from renshi.cli import SERVER_OPTIONS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Only this machine may call: a spoofed remote address is refused.
_SOURCES = SourceAddresses(allowed=["127.0.0.1/32"], trusted_proxies=[])


async def _echo_client_ip(scope: Scope, receive: Receive, send: Send) -> None:
    """The gateway's source check on what the server handed over: the client
    address when admitted, else 403."""
    forwarded = tuple(v.decode() for k, v in scope["headers"] if k == b"x-forwarded-for")
    _ip, text, allowed = _SOURCES.resolve(scope["client"][0], forwarded)
    status = 200 if allowed else 403
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": text.encode()})


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**options: Any) -> str:
        port = _free_port()
        config = uvicorn.Config(
            _echo_client_ip, port=port, log_level="warning", lifespan="off", **options
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        while not server.started:  # flipped once the socket listens
            threading.Event().wait(0.01)
        return f"http://127.0.0.1:{port}/"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=5)


def test_forwarded_header_from_a_local_peer_does_not_replace_the_peer(serve) -> None:
    url = serve(**{k: v for k, v in SERVER_OPTIONS.items() if k != "log_config"})
    response = httpx.get(url, headers={"X-Forwarded-For": "10.1.2.3"})
    assert response.status_code == 200
    assert response.text == "127.0.0.1"


def test_the_server_default_would_have_replaced_it(serve) -> None:
    # The check above can fail: with the server's default proxy handling the
    # header wins, and the allow-list sees 10.1.2.3.
    url = serve()
    response = httpx.get(url, headers={"X-Forwarded-For": "10.1.2.3"})
    assert response.status_code == 403
