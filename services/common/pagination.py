"""One list envelope: capped page size, stable keyset ordering, opaque cursor."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlmodel import Session

from services.common.errors import FieldError, Invalid

T = TypeVar("T")

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; absent on the last page"
    )
    limit: int


def encode_cursor(key: Sequence[Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(list(key), default=str).encode()).decode().rstrip("=")
    )


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise Invalid(
            "cursor is not one this API issued",
            errors=[FieldError(field="query.cursor", reason="malformed cursor", code="cursor")],
        )
    return value


class PageParams(BaseModel):
    limit: int
    cursor: str | None

    def after(self, cast: Callable[[Any], Any]) -> Any | None:
        """The last key of the previous page, converted by `cast`; None on page one."""
        if self.cursor is None:
            return None
        values = decode_cursor(self.cursor)
        try:
            return cast(values[0])
        except (IndexError, TypeError, ValueError):
            raise Invalid(
                "cursor is not one this API issued",
                errors=[FieldError(field="query.cursor", reason="malformed cursor", code="cursor")],
            ) from None


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512, description="From `next_cursor`")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def keyset_page(
    session: Session,
    stmt: Select[Any],
    key: Any,
    params: PageParams,
) -> tuple[list[Any], str | None]:
    """Rows of `stmt` ordered by the unique mapped column `key`, one page after the cursor."""
    last = params.after(lambda value: value)
    if last is not None:
        stmt = stmt.where(key > last)
    rows = list(session.execute(stmt.order_by(key).limit(params.limit + 1)).scalars())
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last_row = rows[-1]
        return rows, encode_cursor([getattr(last_row, key.key)])
    return rows, None
