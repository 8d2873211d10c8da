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
"""

from __future__ import annotations

import asyncio
import json
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
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(OneWriteTransport(transport))  # type: ignore[arg-type]

        def on_response_complete(self) -> None:
            # The answer's last byte is written: out with it now, not at the end
            # of the turn, after the app has unwound and the keep-alive timer is
            # armed (at a low rate each request has a turn of its own, and that
            # wait was on every request's latency).
            transport = self.transport
            if isinstance(transport, OneWriteTransport):
                transport.flush()
            super().on_response_complete()

        def send_400_response(self, msg: str) -> None:
            head = [b"HTTP/1.1 400 Bad Request\r\n"]
            for name, value in [*self.server_state.default_headers, *_HEADERS]:
                head.append(name + b": " + value + b"\r\n")
            self.transport.write(b"".join(head) + b"\r\n" + _BODY)
            self.transport.close()

    PROTOCOLS["httptools"] = ProblemHttpToolsProtocol

# uvicorn's own choice ("auto"): httptools when installed, else h11.
PROTOCOL: type[asyncio.Protocol] = PROTOCOLS.get("httptools", ProblemH11Protocol)


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
