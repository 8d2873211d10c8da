"""The HTTP server's own 400 — a request its parser refuses before any app sees
it — is application/problem+json like every other error, with either parser.

Run through a real uvicorn on a socket with the options `renshi serve` uses.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from renshi.cli import SERVER_OPTIONS
from services.common.http_server import PROTOCOLS, IdleSweep, OneWriteTransport


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


class _RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_the_writes_of_one_turn_reach_the_socket_as_one() -> None:
    async def go() -> list[list[bytes]]:
        real = _RecordingTransport()
        transport = OneWriteTransport(real)  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"")
        transport.write(b"ok")
        seen = [list(real.writes)]  # nothing sent within the turn
        assert transport.get_write_buffer_size() == 40
        await asyncio.sleep(0)
        seen.append(list(real.writes))
        transport.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        transport.close()  # what is pending goes out before the close
        seen.append(list(real.writes))
        assert real.closed
        assert transport.get_extra_info("peername") == "info:peername"
        return seen

    before, after, closed = asyncio.run(go())
    assert before == []
    assert after == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
    assert closed[-1] == b"HTTP/1.1 400 Bad Request\r\n\r\n"


def test_nothing_is_written_to_a_connection_already_closing() -> None:
    async def go() -> list[bytes]:
        real = _RecordingTransport()
        transport = OneWriteTransport(real)  # type: ignore[arg-type]
        transport.write(b"late")
        real.closed = True  # the peer went away within the turn
        await asyncio.sleep(0)
        return real.writes

    assert asyncio.run(go()) == []


def test_the_production_protocol_writes_through_one_write_transport() -> None:
    protocol_class = PROTOCOLS.get("httptools")
    if protocol_class is None:
        pytest.fail("httptools is a dependency (uvicorn[standard]); the protocol must exist")
    assert SERVER_OPTIONS["http"] is protocol_class
    assert "connection_made" in vars(protocol_class)


def test_flush_sends_what_is_pending_at_once_and_only_once() -> None:
    async def go() -> tuple[list[bytes], list[bytes]]:
        real = _RecordingTransport()
        transport = OneWriteTransport(real)  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"ok")
        transport.flush()
        flushed = list(real.writes)
        await asyncio.sleep(0)  # the callback scheduled by the first write runs
        return flushed, real.writes

    flushed, after = asyncio.run(go())
    assert flushed == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
    assert after == flushed


def test_a_complete_answer_is_sent_before_the_app_returns() -> None:
    """The answer reaches the client while the app still holds the event loop
    after sending it: written when complete, not at the end of the turn."""
    read = threading.Event()
    seen: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", b"2")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"ok"})
        # Blocks the loop: a write left for the end of the turn would not go out.
        seen.append(read.wait(timeout=10))

    protocol = PROTOCOLS.get("httptools")
    if protocol is None:
        pytest.fail("httptools is a dependency (uvicorn[standard]); the protocol must exist")
    config = uvicorn.Config(app, lifespan="off", **{**SERVER_OPTIONS, "http": protocol})
    listener = socket.create_server(("127.0.0.1", 0))
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=asyncio.run, args=(runner.serve(sockets=[listener]),))
    thread.start()
    try:
        status, _headers, body = _exchange(
            listener.getsockname(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        read.set()
    finally:
        read.set()
        runner.should_exit = True
        thread.join(timeout=30)
        listener.close()
    assert (status, body) == (200, b"ok")
    assert seen == [True]


def _serve(app: Any, **options: Any) -> tuple[uvicorn.Server, threading.Thread, socket.socket]:
    protocol = PROTOCOLS.get("httptools")
    if protocol is None:
        pytest.fail("httptools is a dependency (uvicorn[standard]); the protocol must exist")
    config = uvicorn.Config(app, lifespan="off", **{**SERVER_OPTIONS, "http": protocol, **options})
    listener = socket.create_server(("127.0.0.1", 0))
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=asyncio.run, args=(runner.serve(sockets=[listener]),))
    thread.start()
    return runner, thread, listener


def _request(conn: socket.socket) -> bytes:
    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, "closed before the answer"
        data += chunk
    return data


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout_without_a_timer_a_request() -> (
    None
):
    protocols: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await _no_content(scope, receive, send)

    runner, thread, listener = _serve(app, timeout_keep_alive=0.5)
    try:
        with socket.create_connection(listener.getsockname(), timeout=10) as conn:
            t0 = time.monotonic()
            for _ in range(3):
                assert _request(conn).startswith(b"HTTP/1.1 204")
            protocols.extend(
                p for s in runner.server_state.connections for p in [s] if hasattr(p, "idle_since")
            )
            # The server closes the idle connection: recv sees the end.
            assert conn.recv(1) == b""
            waited = time.monotonic() - t0
    finally:
        runner.should_exit = True
        thread.join(timeout=30)
        listener.close()
    # Not before the keep-alive timeout; at most a fifth of it late (plus scheduling).
    assert waited >= 0.5
    assert waited < 5
    # uvicorn's own per-request keep-alive timer was never armed.
    assert protocols and all(p.timeout_keep_alive_task is None for p in protocols)


def test_a_connection_in_use_outlives_the_keep_alive_timeout() -> None:
    runner, thread, listener = _serve(_no_content, timeout_keep_alive=1.0)
    try:
        with socket.create_connection(listener.getsockname(), timeout=10) as conn:
            end = time.monotonic() + 2.5
            answered = 0
            while time.monotonic() < end:
                assert _request(conn).startswith(b"HTTP/1.1 204")
                answered += 1
                # Pacing, not synchronisation: each pause is well under the timeout.
                time.sleep(0.1)
    finally:
        runner.should_exit = True
        thread.join(timeout=30)
        listener.close()
    assert answered > 1


def test_the_idle_sweep_stops_when_no_connection_is_left() -> None:
    async def go() -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        sweep = IdleSweep(loop, 0.01)

        class Conn:
            timeout_keep_alive = 0.0
            idle_since: float | None = loop.time()
            closed = False

            def timeout_keep_alive_handler(self) -> None:
                self.closed = True

        conn = Conn()
        sweep.add(conn)
        while not conn.closed:
            await asyncio.sleep(0.01)
        sweep.discard(conn)
        await asyncio.sleep(0.05)
        return conn.closed, sweep._timer is None

    assert asyncio.run(go()) == (True, True)
