"""Structured JSON logs that never carry national IDs, e-mail addresses or phone numbers."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from services.common.request_context import current_request_id

# National ID / resident certificate: a letter then 9 digits (or letter+letter+8 digits
# for the new-style ARC). Tokens are redacted too: a JWT always starts with eyJ.
_PATTERNS = [
    (re.compile(r"\b[A-Z][A-Z0-9]\d{8}\b"), "[national-id]"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<!\d)(?:\+?886[- ]?|0)9\d{2}[- ]?\d{3}[- ]?\d{3}(?!\d)"), "[phone]"),
    (re.compile(r"(?<!\d)0\d{1,2}[- ]?\d{6,8}(?!\d)"), "[phone]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"), "[token]"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer [token]"),
]

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        rid = current_request_id()
        if rid:
            payload["request_id"] = rid
        # Records marked `structured` carry only fields built from validated,
        # non-personal values (account names, route templates, addresses of
        # callers), so the redaction scan is skipped for them on the hot path.
        scan = not getattr(record, "_structured", False)
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = redact(value) if scan and isinstance(value, str) else value
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: messages and frames may hold personal data.
            payload["error_type"] = record.exc_info[0].__name__
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
        # Whatever configured them before (uvicorn's own dictConfig disables or
        # levels loggers), they now log through the root at its level.
        lg.disabled = False
        lg.setLevel(logging.NOTSET)
    # No access log (`renshi serve` runs with access_log=False): the server
    # writes a line per request when this logger has a handler anywhere up its
    # chain, and this function runs again in each app factory, after the
    # server has switched it off. For the gateway that line cost an eighth of
    # its CPU a request; its audit table already holds every request.
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.propagate = False
    # Start-up noise nobody acts on: Alembic announces each plugin it loads (seven
    # lines per process), and uvicorn's "waiting for"/"complete" pair repeats
    # what its "running on" line says. Warnings and errors still come through.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    server = logging.getLogger("uvicorn.error")
    if _quiet_start not in server.filters:
        server.addFilter(_quiet_start)


_START_NOISE = ("Waiting for application startup.", "Application startup complete.")


def _quiet_start(record: logging.LogRecord) -> bool:
    return record.getMessage() not in _START_NOISE
