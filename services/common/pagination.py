"""One list envelope: capped page size, stable keyset ordering, opaque cursor."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Select
from sqlmodel import Session

from services.common.errors import FieldError, Invalid

_INT64_MAX = 2**63 - 1

T = TypeVar("T")

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page"
    )
    limit: int


def whole_page(items: Sequence[T]) -> Page[T]:
    """A list short by its nature (the role catalogue, one record's history, a
    year's policy rows): all of it on one page, in the envelope every list uses,
    so that a client reads every list the same way."""
    return Page[T](items=list(items), next_cursor=None, limit=len(items))


def encode_cursor(key: Sequence[Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(list(key), default=str).encode()).decode().rstrip("=")
    )


# A cursor is client input like any other: decoded, it must be the shape
# encode_cursor issues — a short list of integer or string keys — or a forged
# one (a nested list, 1e999, a 20-digit number) reaches SQL and fails there.
MAX_CURSOR_LENGTH = 512
MAX_CURSOR_KEYS = 4
MAX_KEY_LENGTH = 256
_KEY_MIN, _KEY_MAX = -_INT64_MAX - 1, _INT64_MAX  # a 64-bit column's range

CursorKey = TypeVar("CursorKey", int, str)


class _NotFinite(ValueError):
    pass


def _not_finite(_literal: str) -> Any:
    # json.loads accepts NaN and Infinity, which JSON itself does not have.
    raise _NotFinite


def _refused(reason: str) -> Invalid:
    # The reason names the rule broken, never the cursor's content.
    return Invalid(
        "cursor is not one this API issued",
        errors=[FieldError(field="query.cursor", reason=reason, code="cursor")],
    )


def _key_refusal(value: Any) -> str | None:
    """Why `value` cannot be one key of a cursor; None when it can."""
    if isinstance(value, list | dict):
        return "a key is a nested list or object"
    if isinstance(value, float) and not math.isfinite(value):
        return "a key is a number that is not finite"
    if isinstance(value, bool) or not isinstance(value, int | str):
        return "a key is neither an integer nor a string"
    if isinstance(value, int) and not _KEY_MIN <= value <= _KEY_MAX:
        return "a key is an integer out of range"
    if isinstance(value, str) and len(value) > MAX_KEY_LENGTH:
        return "a key is a string that is too long"
    return None


def decode_cursor(cursor: str) -> list[int | str]:
    """The keys of a cursor this API could have issued, else a 422 on `query.cursor`."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _refused(f"longer than {MAX_CURSOR_LENGTH} characters")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        # UTF-8 only: json.loads on bytes would also take UTF-16 and UTF-32.
        value = json.loads(raw.decode("utf-8"), parse_constant=_not_finite)
    except _NotFinite:
        raise _refused("a key is a number that is not finite") from None
    except (ValueError, RecursionError):
        raise _refused("not base64url-encoded JSON") from None
    if not isinstance(value, list):
        raise _refused("not a list of keys")
    if not 1 <= len(value) <= MAX_CURSOR_KEYS:
        raise _refused(f"holds {'no' if not value else 'too many'} keys")
    for key in value:
        refusal = _key_refusal(key)
        if refusal is not None:
            raise _refused(refusal)
    return value


_KIND_NAMES = {int: "an integer", str: "a string"}


class PageParams(BaseModel):
    limit: int
    cursor: str | None

    def after(self, kind: type[CursorKey]) -> CursorKey | None:
        """The last key of the previous page, which must be of `kind` (the list's key
        column type); None on page one."""
        if self.cursor is None:
            return None
        keys = decode_cursor(self.cursor)
        key = keys[0]
        if len(keys) != 1 or not isinstance(key, kind):
            expected = _KIND_NAMES.get(kind, kind.__name__)
            raise _refused(f"this list's cursor holds one key, {expected}")
        return key


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="From `next_cursor`")
    ] = None,
) -> PageParams:
    if cursor is not None:
        # Checked here, before the handler looks anything up: a forged cursor is a
        # 422 whatever else the request names.
        decode_cursor(cursor)
    return PageParams(limit=limit, cursor=cursor)


# The one page dependency of every list route: `page: PageDep`.
PageDep = Annotated[PageParams, Depends(page_params)]


def _last_key(params: PageParams, key: Any) -> int | str | None:
    """The cursor's key, checked against the key column's Python type so that a
    string never meets an integer column; a TypeDecorator (sqlmodel's AutoString)
    reports the type of its implementation."""
    kind = getattr(key.type, "impl_instance", key.type).python_type
    if kind is int:
        return params.after(int)
    if kind is str:
        return params.after(str)
    raise TypeError(f"keyset pages are keyed by an integer or a string column, not {kind}")


# Any SELECT, whatever it selects: one class, several, or a table's columns.
AnySelect = Select[*tuple[Any, ...]]


def _one_entity(stmt: AnySelect) -> bool:
    """Whether `stmt` selects one mapped class (`select(Model)`), whose rows are
    handed back as the objects themselves."""
    described = stmt.column_descriptions
    return len(described) == 1 and isinstance(described[0]["expr"], type)


def _key_value(row: Any, key: Any, one_entity: bool) -> Any:
    if one_entity:
        return getattr(row, key.key)
    mapping = row._mapping
    # select(A, B): the key is an attribute of one of the selected classes.
    owner = getattr(key, "class_", None)
    if owner is not None and owner in mapping:
        return getattr(mapping[owner], key.key)
    return mapping[key]


def paginate(
    executor: Session | Connection,
    stmt: AnySelect,
    key: Any,
    params: PageParams,
    *,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of `stmt` after the cursor, ordered by the unique column `key`
    (ascending, or newest first with `descending`), and the cursor of the next
    page, None on the last.

    `select(Model)` gives the objects; any other statement, ORM (`select(A, B)`)
    or Core (`select(table)`), gives its rows (`row[0]`, `row._mapping`)."""
    last = _last_key(params, key)
    if last is not None:
        stmt = stmt.where(key < last if descending else key > last)
    ordered = stmt.order_by(key.desc() if descending else key).limit(params.limit + 1)
    one_entity = _one_entity(stmt)
    result = executor.execute(ordered)
    rows: list[Any] = list(result.scalars() if one_entity else result.all())
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor([_key_value(rows[-1], key, one_entity)])
