"""The request id of the request being served, for any module that needs it.

Kept apart from the middleware (`requestid`) so that the error shape, the logs
and the peer clients can read the id without importing the middleware, which
itself answers unexpected errors with the error shape."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

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


def bind_request_id(request_id: str) -> Token[str]:
    """Make `request_id` current until `reset_request_id(token)`."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str]) -> None:
    _request_id.reset(token)
