"""The request id of the request being served, for any module that needs it.

Kept apart from the middleware (`requestid`) so that the error shape, the logs
and the peer clients can read the id without importing the middleware, which
itself answers unexpected errors with the error shape."""

from __future__ import annotations

import itertools
import os
import re
from contextvars import ContextVar, Token

_request_id: ContextVar[str] = ContextVar("request_id", default="")
# Only ids that cannot smuggle log-injection or personal data are accepted.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def current_request_id() -> str:
    return _request_id.get()


# A minted id is this process's random half and a counter: 32 hex digits like
# a uuid4's, unique across processes and restarts (64 random bits), without a
# random read and a UUID object for every request. Not a secret: it is echoed
# to the caller and written in logs.
_MINTED_PREFIX = os.urandom(8).hex()
_minted = itertools.count(1)


def _reseed() -> None:
    # A forked child must not mint its parent's ids.
    global _MINTED_PREFIX, _minted
    _MINTED_PREFIX, _minted = os.urandom(8).hex(), itertools.count(1)


os.register_at_fork(after_in_child=_reseed)


def new_request_id() -> str:
    return f"{_MINTED_PREFIX}{next(_minted):016x}"


def accept_request_id(value: str | None) -> str:
    if value and _VALID.match(value):
        return value
    return new_request_id()


def bind_request_id(request_id: str) -> Token[str]:
    """Make `request_id` current until `reset_request_id(token)`."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str]) -> None:
    _request_id.reset(token)
