"""The HTTP server's own error answer as problem+json.

A request that uvicorn's parser (httptools or h11) refuses — a malformed request
line, header, Content-Length or chunk — never reaches an ASGI app: uvicorn
answers it itself with a text/plain 400 "Invalid HTTP request received.". These
protocol classes write that same 400, then close the connection as uvicorn does,
as an RFC 9457 problem like every other error of renshi. `renshi serve` runs the
gateway and every service with them.
"""

from __future__ import annotations

import asyncio
import json

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
        def send_400_response(self, msg: str) -> None:
            head = [b"HTTP/1.1 400 Bad Request\r\n"]
            for name, value in [*self.server_state.default_headers, *_HEADERS]:
                head.append(name + b": " + value + b"\r\n")
            self.transport.write(b"".join(head) + b"\r\n" + _BODY)
            self.transport.close()

    PROTOCOLS["httptools"] = ProblemHttpToolsProtocol

# uvicorn's own choice ("auto"): httptools when installed, else h11.
PROTOCOL: type[asyncio.Protocol] = PROTOCOLS.get("httptools", ProblemH11Protocol)
