"""The kernel's cursor: only the shape this API issues is accepted, and a cursor
that is not one is a 422 naming `query.cursor` with the reason, never a 500."""

from __future__ import annotations

import base64
from typing import Any, cast

import pytest
from sqlalchemy import Integer, String, column, select, table

from services.common.errors import Invalid
from services.common.pagination import _KEY_MAX as MAX_ID
from services.common.pagination import PageParams, decode_cursor, encode_cursor, paginate


def raw_cursor(json_text: str) -> str:
    """A cursor as a client could forge it: any JSON text, base64url without padding."""
    return base64.urlsafe_b64encode(json_text.encode()).decode().rstrip("=")


# JSON texts no list page of this API ever issues, whatever its key type.
MALFORMED = {
    "infinite number": "[1e999]",
    "negative infinity": "[-1e999]",
    "NaN literal": "[NaN]",
    "Infinity literal": "[Infinity]",
    "nested list": "[[1]]",
    "deeply nested list": "[" * 50 + "]" * 50,
    "object element": '[{"id": 1}]',
    "oversized int": f"[{MAX_ID + 1}]",
    "undersized int": f"[{-MAX_ID - 2}]",
    "boolean": "[true]",
    "null": "[null]",
    "fraction": "[1.5]",
    "empty list": "[]",
    "too many keys": "[1, 2, 3, 4, 5, 6, 7, 8, 9]",
    "not a list": '{"id": 1}',
    "bare string": '"abc"',
    "bare number": "7",
    "long string": '["' + "x" * 300 + '"]',
    "not JSON": "[1,",
}


def _refusal(exc: pytest.ExceptionInfo[Invalid]) -> tuple[str, str]:
    (error,) = exc.value.errors
    return error.field, error.reason


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_decode_refuses_every_shape_this_api_does_not_issue(text: str) -> None:
    with pytest.raises(Invalid) as exc:
        decode_cursor(raw_cursor(text))
    field, reason = _refusal(exc)
    assert field == "query.cursor"
    assert reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1e999]", "a key is a number that is not finite"),
        ("[NaN]", "a key is a number that is not finite"),
        ("[[1]]", "a key is a nested list or object"),
        (f"[{MAX_ID + 1}]", "a key is an integer out of range"),
        ("[true]", "a key is neither an integer nor a string"),
        ("[]", "holds no keys"),
    ],
)
def test_the_reason_names_the_rule_broken(text: str, reason: str) -> None:
    with pytest.raises(Invalid) as exc:
        decode_cursor(raw_cursor(text))
    assert _refusal(exc) == ("query.cursor", reason)


@pytest.mark.parametrize("cursor", ["!!!", "\u00e9", raw_cursor("[1]")[:-1] + "*"])
def test_decode_refuses_what_is_not_base64url(cursor: str) -> None:
    with pytest.raises(Invalid) as exc:
        decode_cursor(cursor)
    assert _refusal(exc)[0] == "query.cursor"


def test_decode_refuses_bytes_that_are_not_utf8() -> None:
    cursor = base64.urlsafe_b64encode(b'["\xff"]').decode().rstrip("=")
    with pytest.raises(Invalid):
        decode_cursor(cursor)


def test_the_reason_never_echoes_the_cursor() -> None:
    with pytest.raises(Invalid) as exc:
        decode_cursor(raw_cursor('["secret-A123456789", [1]]'))
    assert "A123456789" not in repr(exc.value.errors) and "A123456789" not in str(exc.value)


@pytest.mark.parametrize("key", [[1], [MAX_ID], ["A01"], ["P0001"], [-5]])
def test_what_encode_issues_decodes_back(key: list[Any]) -> None:
    assert decode_cursor(encode_cursor(key)) == key


@pytest.mark.parametrize(
    ("text", "kind"),
    [('["12"]', int), ('["x"]', int), ("[1]", str), ("[12]", str), ('[1, "x"]', int)],
)
def test_after_checks_the_key_type(text: str, kind: type[Any]) -> None:
    page = PageParams(limit=10, cursor=raw_cursor(text))
    with pytest.raises(Invalid) as exc:
        page.after(kind)
    assert _refusal(exc)[0] == "query.cursor"


def test_after_returns_the_key_of_its_kind() -> None:
    assert PageParams(limit=10, cursor=encode_cursor([42])).after(int) == 42
    assert PageParams(limit=10, cursor=encode_cursor(["A01"])).after(str) == "A01"
    assert PageParams(limit=10, cursor=None).after(int) is None


_items = table("items", column("id", Integer), column("code", String))


@pytest.mark.parametrize(
    ("key", "text"),
    [(_items.c.id, '["x"]'), (_items.c.id, "[1.0]"), (_items.c.code, "[1]")],
)
def test_paginate_takes_the_key_type_from_the_column(key: Any, text: str) -> None:
    page = PageParams(limit=5, cursor=raw_cursor(text))
    # Refused before any SQL is built, so no session is needed.
    with pytest.raises(Invalid) as exc:
        paginate(cast(Any, None), select(_items), key, page)
    assert _refusal(exc)[0] == "query.cursor"
