"""The HTTP server's own 400 — a request its parser refuses before any app sees
it — is application/problem+json like every other error, with either parser.

Run through a real uvicorn on a socket with the options `renshi serve` uses.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from renshi.cli import SERVER_OPTIONS
from services.common.http_server import PROTOCOLS


async def _no_content(scope: Any, receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture(params=sorted(PROTOCOLS))
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    options = {**SERVER_OPTIONS, "http": PROTOCOLS[request.param]}
    config = uvicorn.Config(_no_content, lifespan="off", **options)
    listener = socket.create_server(("127.0.0.1", 0))
    # Listening before uvicorn starts: a client's connection waits in the backlog
    # until the server accepts it, so no start-up wait is needed.
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=asyncio.run, args=(runner.serve(sockets=[listener]),))
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        runner.should_exit = True
        thread.join(timeout=30)
        listener.close()


def test_renshi_serve_uses_the_problem_protocol() -> None:
    assert SERVER_OPTIONS["http"] in PROTOCOLS.values()


def _exchange(address: tuple[str, int], raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        while len(body) < int(headers.get("content-length", "0")):
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(lines[0].split()[1]), headers, body


MALFORMED = {
    "garbage request line": b"GARBAGE\r\n\r\n",
    "space in the target": b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "space in a header name": b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n",
    "non-numeric content length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    "bad chunk size": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_request_the_parser_refuses_is_a_problem(server, raw: bytes) -> None:
    status, headers, body = _exchange(server, raw)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 400
    assert problem["type"].endswith("/malformed-request")
    assert problem["title"] and problem["detail"] and problem["errors"] == []


def test_a_well_formed_request_still_reaches_the_app(server) -> None:
    status, _headers, _body = _exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 204
