"""Reports as files: one operation per representation, and `Accept` honoured.

A report is served as JSON at its own path and as CSV and XLSX files at paths of
their own (`…/monthly-overtime.csv`, `…/report.xlsx`), each operation declaring
exactly one response media type, so generated clients type the JSON as its model
and the files as bytes. A file operation answers 406 when `Accept` excludes its
type; the JSON path still serves the files for its deprecated `format` parameter
(chosen first) or for an `Accept` that prefers them, and answers 406, listing
the types it has, when `Accept` allows none of them.

The metadata of a file (agency, year, as-of day) is in its name, never in rows
above the table: a CSV is one rectangular table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.common.errors import PROBLEM_MEDIA_TYPE, Problem

JSON_MEDIA_TYPE = "application/json"
CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The charset is said on the response; the document declares the bare type.
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BY_FORMAT = {"json": JSON_MEDIA_TYPE, "csv": CSV_MEDIA_TYPE, "xlsx": XLSX_MEDIA_TYPE}
BINARY_SCHEMA: dict[str, Any] = {"type": "string", "format": "binary"}


class NotAcceptable(Problem):
    status, slug, title = 406, "not-acceptable", "Not acceptable"

    def __init__(self, available: Sequence[str]) -> None:
        super().__init__(
            "Accept allows none of the types this operation answers with: " + ", ".join(available),
            extra={"available": list(available)},
        )


def _ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values (RFC 9110 12.5.1);
    an unparsable q counts as 0, so a garbled range accepts nothing."""
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
                if not 0.0 <= quality <= 1.0:
                    quality = 0.0
        ranges.append((media, quality))
    return ranges


def _quality(media_type: str, ranges: Sequence[tuple[str, float]]) -> float:
    """The q of the most specific range matching `media_type`, 0 if none does."""
    kind = media_type.split("/")[0] + "/*"
    best: tuple[int, float] | None = None
    for media, quality in ranges:
        if media == media_type:
            rank = 3
        elif media == kind:
            rank = 2
        elif media == "*/*":
            rank = 1
        else:
            continue
        if best is None or rank > best[0]:
            best = (rank, quality)
    return best[1] if best else 0.0


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered type `accept` prefers (ties go to the earlier offer), or None
    when it accepts none. No header, or an empty one, accepts anything."""
    if accept is None or not accept.strip():
        return offered[0] if offered else None
    ranges = _ranges(accept)
    if not ranges:
        return offered[0] if offered else None
    scored = [(_quality(m, ranges), -i, m) for i, m in enumerate(offered)]
    quality, _, media = max(scored)
    return media if quality > 0 else None


def accepts(media_type: str) -> Callable[[Request], None]:
    """Dependency of a file operation: 406 unless `Accept` allows its type."""

    def check(request: Request) -> None:
        if negotiate(request.headers.get("accept"), [media_type]) is None:
            raise NotAcceptable([media_type])

    check.__name__ = "accepts_" + media_type.rsplit(".", 1)[-1].replace("/", "_")
    return check


def choose(file_format: str | None, accept: str | None, offered: Sequence[str]) -> str:
    """The representation the compatibility path answers with: the deprecated
    `format` parameter when given, else the type `Accept` prefers."""
    if file_format is not None:
        return BY_FORMAT[file_format]
    chosen = negotiate(accept, offered)
    if chosen is None:
        raise NotAcceptable(offered)
    return chosen


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    """A file download; the name is ASCII (codes, years, ISO days), so every
    browser and client keeps it as given."""
    if not filename.isascii() or '"' in filename or "/" in filename:
        raise ValueError("a download's file name is plain ASCII without quotes or slashes")
    content_type = CSV_CONTENT_TYPE if media_type == CSV_MEDIA_TYPE else media_type
    return Response(
        content,
        media_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _problem_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
    }


NOT_ACCEPTABLE_RESPONSE: dict[int | str, dict[str, Any]] = {
    406: _problem_doc("`Accept` allows none of the types; `available` lists them"),
}


def file_get(
    router: APIRouter,
    path: str,
    *,
    media_type: str,
    what: str,
    summary: str,
    description: str,
    responses: Mapping[int | str, dict[str, Any]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a file operation: `GET path` answering `media_type` alone (the
    document's binary schema, `what` as its description, plus `responses`), 406
    unless `Accept` allows that type."""
    return router.get(
        path,
        summary=summary,
        description=description,
        response_class=Response,
        responses={**file_responses(media_type, what), **(responses or {})},
        dependencies=[Depends(accepts(media_type))],
    )


def file_responses(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a file operation: its one media type, as bytes."""
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": BINARY_SCHEMA}},
            "headers": {
                "Content-Disposition": {
                    "description": "`attachment; filename=…`; the name holds the "
                    "report's agency, period and as-of day",
                    "schema": {"type": "string"},
                }
            },
        },
        **NOT_ACCEPTABLE_RESPONSE,
    }


def format_description(paths: str) -> str:
    return (
        "Deprecated: the files have operations of their own "
        f"({paths}). Kept so that older callers still get their file; "
        "it wins over `Accept`."
    )
