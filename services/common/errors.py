"""One error shape for every 4xx and 5xx: RFC 9457 `application/problem+json`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.request_context import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://renshi.example.gov.tw/problems/"

log = logging.getLogger("renshi.errors")


class FieldError(BaseModel):
    """One invalid field: where it is and why it was refused."""

    field: str = Field(description="Dotted path of the field, e.g. body.rows.3.hours")
    reason: str
    code: str = Field(default="invalid", description="Stable machine code of the reason")


class ProblemDetails(BaseModel):
    type: str = Field(description="Stable URI identifying the problem type")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request id of the failed request")
    errors: list[FieldError] = Field(default_factory=list)


class Problem(Exception):
    """Raise anywhere in a service to answer with problem+json."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        slug: str | None = None,
        title: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        if status is not None and status != self.status:
            # A bare Problem(status=...) takes the status's own slug and title.
            default_slug, default_title = _STATUS_SLUGS.get(status, (self.slug, self.title))
            self.slug, self.title = default_slug, default_title
        self.status = status or self.status
        self.slug = slug or self.slug
        self.title = title or self.title
        self.errors = list(errors)
        self.headers = headers or {}
        self.extra = extra or {}


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class Invalid(Problem):
    status, slug, title = 422, "validation-error", "Invalid input"


class ServiceUnavailable(Problem):
    status, slug, title = 503, "service-unavailable", "A required service is unavailable"


_STATUS_SLUGS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Invalid input"),
    429: ("rate-limited", "Too many requests"),
    431: ("headers-too-large", "Request headers too large"),
    500: ("internal-error", "Internal error"),
    502: ("bad-gateway", "Bad gateway"),
    503: ("service-unavailable", "Service unavailable"),
    504: ("gateway-timeout", "Upstream timed out"),
}


def problem_body(
    status: int,
    *,
    detail: str | None = None,
    slug: str | None = None,
    title: str | None = None,
    errors: Sequence[FieldError] = (),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    default_slug, default_title = _STATUS_SLUGS.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or default_slug),
        "title": title or default_title,
        "status": status,
        "detail": detail,
        "instance": current_request_id() or None,
        "errors": [e.model_dump() for e in errors],
    }
    if extra:
        body.update(extra)
    return body


def problem_response(
    status: int, headers: dict[str, str] | None = None, **kwargs: Any
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, **kwargs),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _loc_to_field(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    out = []
    seen: set[tuple[str, str, str]] = set()
    for err in exc.errors():
        # Never echo the rejected value: it may be a national ID or a phone number.
        error = FieldError(
            field=_loc_to_field(err.get("loc", ())),
            reason=str(err.get("msg", "")),
            code=str(err.get("type", "invalid")),
        )
        # A dependency that two others share (an operation's query, read before
        # the caller is checked) reports its errors once per use: say each once.
        key = (error.field, error.reason, error.code)
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out


async def _problem_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status,
        detail=exc.detail,
        slug=exc.slug,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _http_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(exc.status_code, detail=detail, headers=dict(exc.headers or {}))


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    fields = ", ".join(e.field for e in errors[:5])
    return problem_response(422, detail=f"Invalid input in: {fields}", errors=errors)


DATABASE_RETRY_AFTER = "5"


def _database_unavailable(exc: Exception) -> str | None:
    """What a caller may be told of a database it cannot use now; None when the
    error is not that. The server gone, refusing connections or cut off
    (PostgreSQL restarted, `pg_terminate_backend`), a connection lost mid-way;
    on SQLite a full disk or a read-only file. Nothing was written: the request's
    one transaction did not commit."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "the database connection was lost; nothing was written, try again"
    if not isinstance(exc, OperationalError):
        return None
    text = str(exc.orig).lower()
    if "full" in text:
        return "the database is full; nothing was written"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only; nothing was written"
    if "locked" in text or "busy" in text:
        return None  # contention, handled by the writer gate and its own 503
    return "the database is unavailable; nothing was written, try again"


def unexpected_error_response(exc: Exception) -> JSONResponse:
    # The type name only: messages and tracebacks may carry personal data.
    unavailable = _database_unavailable(exc)
    if unavailable is not None:
        log.error("database unavailable", extra={"error_type": type(exc).__name__})
        return problem_response(
            503,
            headers={"Retry-After": DATABASE_RETRY_AFTER},
            detail=unavailable,
            slug="database-unavailable",
            title="Database unavailable",
        )
    log.error("unhandled error", extra={"error_type": type(exc).__name__})
    return problem_response(500, detail="An unexpected error occurred; quote the instance id.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)


def _problem_response_doc(description: str) -> dict[str, Any]:
    return {
        "model": ProblemDetails,
        "description": description,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
    }


# Declared on every route so generated clients know the error shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response_doc("Bad request"),
    401: _problem_response_doc("Missing or invalid credentials"),
    403: _problem_response_doc("Not allowed"),
    404: _problem_response_doc("Not found"),
    # Any request whose JSON body is not UTF-8 (RFC 8259), whatever the route.
    415: _problem_response_doc("The JSON body is not UTF-8"),
    422: _problem_response_doc("Invalid input; `errors` names each field and reason"),
    500: _problem_response_doc("Unexpected error"),
}

# Declared by each operation that can answer 409, beside its other responses.
CONFLICT_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: _problem_response_doc("Conflicts with what is recorded (a duplicate, or a state change)"),
}
