"""Shared plumbing of the import routes: reading the body. Tallying the rows
is the import use cases' (`service/tally.py`)."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Any

from fastapi import Request

from services.attendance.imports import FileError, ImportFormat, format_of
from services.common.errors import Problem

MAX_IMPORT_BYTES = 32 * 1024 * 1024

IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


async def read_import(
    request: Request, explicit: ImportFormat | None
) -> tuple[bytes, ImportFormat]:
    try:
        fmt = format_of(request.headers.get("content-type"), explicit)
    except FileError as exc:
        raise Problem(
            str(exc), status=415, slug="unsupported-media-type", title="Unsupported media type"
        ) from None
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise Problem(
            "import file too large",
            status=413,
            slug="payload-too-large",
            title="Request body too large",
        )
    return body, fmt
