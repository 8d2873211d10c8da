"""The HTTP server's own error answer as problem+json, and each answer in one write.

A request that uvicorn's parser (httptools or h11) refuses — a malformed request
line, header, Content-Length or chunk — never reaches an ASGI app: uvicorn
answers it itself with a text/plain 400 "Invalid HTTP request received.". These
protocol classes write that same 400, then close the connection as uvicorn does,
as an RFC 9457 problem like every other error of renshi. `renshi serve` runs the
gateway and every service with them.

uvicorn writes an answer's status line and headers when the app sends them,
and its body in a second write: two system calls (and, with Nagle off, two
packets) for every small answer, a seventh of the gateway's CPU under load. The
httptools protocol here hands uvicorn a transport that gathers the writes made
in one turn of the event loop and sends them together at its end, or as soon
as the answer is complete, whichever comes first.

uvicorn also arms a keep-alive timer (`call_later`) after every answer and
cancels it when the next request's first bytes arrive: a timer made and
unmade per request. The httptools protocol here notes when a connection fell
idle instead, and one sweep a loop, while connections are open, closes those
idle past the same `timeout_keep_alive` (at most a fifth of it, and at most a
second, late).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from services.common.errors import PROBLEM_MEDIA_TYPE, problem_body

# No request was parsed, so there is no request id to quote.
_BODY = json.dumps(
    problem_body(
        400,
        slug="malformed-request",
        title="Malformed HTTP request",
        detail="the request could not be parsed as HTTP/1.1",
    )
).encode()
_HEADERS = [
    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
    (b"content-length", str(len(_BODY)).encode()),
    (b"connection", b"close"),
]


class ProblemH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        # As uvicorn's own, with the problem in place of the plain-text message.
        for event in (
            h11.Response(status_code=400, headers=_HEADERS, reason=b"Bad Request"),
            h11.Data(data=_BODY),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


PROTOCOLS: dict[str, type[asyncio.Protocol]] = {"h11": ProblemH11Protocol}

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional for uvicorn; h11 then parses
    pass
else:

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        # loop.time() when the last answer was complete and no byte has come
        # since; None while a request is being read or answered.
        idle_since: float | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(OneWriteTransport(transport))  # type: ignore[arg-type]
            IdleSweep.of(self.loop, self.timeout_keep_alive).add(self)

        def connection_lost(self, exc: Exception | None) -> None:
            IdleSweep.of(self.loop, self.timeout_keep_alive).discard(self)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            self.idle_since = None
            super().data_received(data)

        def on_response_complete(self) -> None:
            # The answer's last byte is written: out with it now, not at the end
            # of the turn, after the app has unwound (at a low rate each request
            # has a turn of its own, and that wait was on every request's latency).
            transport = self.transport
            if isinstance(transport, OneWriteTransport):
                transport.flush()
            # uvicorn's own, but for the keep-alive timer: the sweep closes the
            # connection once idle past the timeout.
            self.server_state.total_requests += 1
            if self.transport.is_closing():
                return
            self.flow.resume_reading()
            if self.pipeline:
                cycle, app = self.pipeline.pop()
                self._start_asgi_task(cycle, app)
            else:
                self.idle_since = self.loop.time()

        def send_400_response(self, msg: str) -> None:
            head = [b"HTTP/1.1 400 Bad Request\r\n"]
            for name, value in [*self.server_state.default_headers, *_HEADERS]:
                head.append(name + b": " + value + b"\r\n")
            self.transport.write(b"".join(head) + b"\r\n" + _BODY)
            self.transport.close()

    PROTOCOLS["httptools"] = ProblemHttpToolsProtocol

# uvicorn's own choice ("auto"): httptools when installed, else h11.
PROTOCOL: type[asyncio.Protocol] = PROTOCOLS.get("httptools", ProblemH11Protocol)


class IdleSweep:
    """The keep-alive connections of one event loop, checked every `period`
    while any is open; one idle past its protocol's `timeout_keep_alive` is
    closed as uvicorn's own timer would have closed it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, period: float) -> None:
        self._loop = loop
        self.period = period
        # Weak: a connection upgraded to another protocol is never `connection_lost` here.
        self.connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop, timeout: float) -> IdleSweep:
        sweep = _SWEEPS.get(loop)
        if sweep is None:
            sweep = _SWEEPS[loop] = cls(loop, max(0.01, min(1.0, timeout / 5)))
        return sweep

    def add(self, connection: Any) -> None:
        self.connections.add(connection)
        if self._timer is None:
            self._timer = self._loop.call_later(self.period, self._sweep)

    def discard(self, connection: Any) -> None:
        self.connections.discard(connection)

    def _sweep(self) -> None:
        self._timer = None
        now = self._loop.time()
        for connection in list(self.connections):
            idle = connection.idle_since
            if idle is not None and now - idle >= connection.timeout_keep_alive:
                connection.idle_since = None
                connection.timeout_keep_alive_handler()
        if self.connections:
            self._timer = self._loop.call_later(self.period, self._sweep)


_SWEEPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, IdleSweep] = (
    weakref.WeakKeyDictionary()
)


class OneWriteTransport:
    """A transport whose writes within one turn of the event loop reach the
    socket as one: buffered, sent by a callback at the end of the turn, and
    before the connection closes. Everything else is the real transport's."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self._send)
        self._pending.append(bytes(data))

    def _send(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def flush(self) -> None:
        """Send what is pending now (the callback already scheduled finds nothing)."""
        self._send()

    def close(self) -> None:
        self._send()
        self._transport.close()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
