"""Request ids: accepted from the caller when well-formed, minted otherwise,
echoed in the response and attached to every log line of the request."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_request_id: ContextVar[str] = ContextVar("request_id", default="")
# Only ids that cannot smuggle log-injection or personal data are accepted.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def current_request_id() -> str:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    if value and _VALID.match(value):
        return value
    return new_request_id()


class RequestIdMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so streaming bodies are untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = accept_request_id(incoming)
        token = _request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            # Handled here rather than by Starlette's outermost error middleware,
            # so the 500 still carries the request id and the problem+json shape.
            if started:
                raise
            from services.common.errors import unexpected_error_response

            await unexpected_error_response(exc)(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
