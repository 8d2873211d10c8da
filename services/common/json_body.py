"""JSON request bodies are UTF-8 (RFC 8259 §8.1), checked once for every app.

FastAPI hands the raw bytes to json.loads, which guesses UTF-16 and UTF-32 from
the first bytes and reads them too; a body any other JSON parser would refuse
then passes here, and text checked as UTF-8 elsewhere (a length, a pattern on
the wire) means something else. Such a body is refused with a 415 problem
naming it, before any handler runs.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import FieldError, problem_response

_UTF8 = frozenset({"utf-8", "utf8"})


def _json_charset(headers: list[tuple[bytes, bytes]]) -> tuple[bool, str | None]:
    """(whether the body is JSON as FastAPI decides it, the declared charset)."""
    value = next((v for k, v in headers if k == b"content-type"), None)
    if value is None:
        # FastAPI's strict content type: no Content-Type, no JSON parsing.
        return False, None
    media_type, *params = value.decode("latin-1").split(";")
    media_type = media_type.strip().lower()
    maintype, _, subtype = media_type.partition("/")
    if maintype != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return False, None
    charset = None
    for param in params:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip('"').lower()
    return True, charset


def encoding_refusal(charset: str | None, body: bytes) -> str | None:
    """Why `body` is not a UTF-8 JSON text; None when it is. Never quotes the body."""
    if charset is not None and charset not in _UTF8:
        return "JSON bodies are UTF-8 (RFC 8259); the declared charset is another"
    if not body:
        return None
    # The guess json.loads would make; a UTF-8 BOM is allowed (RFC 8259 lets a
    # parser ignore it, and json.loads does).
    if json.detect_encoding(body) not in ("utf-8", "utf-8-sig"):
        return "JSON bodies are UTF-8 (RFC 8259), not UTF-16 or UTF-32"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "JSON bodies are UTF-8 (RFC 8259); these bytes are not UTF-8"
    return None


_NUL_REASON = "text may not contain the NUL character (U+0000)"


def _nul_fields(value: Any, path: str) -> list[str]:
    """Dotted paths of every string (key or value) holding U+0000 in a parsed body."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                found.append(path)
            else:
                found += _nul_fields(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nul_fields(item, f"{path}.{index}")
    return found


def nul_refusals(query_string: bytes, body: bytes | None) -> list[FieldError]:
    """Fields whose text holds U+0000. No store keeps it — PostgreSQL's text
    refuses it outright (a 500, found by fuzzing), SQLite cuts C strings at it —
    so it is refused at the edge on every backend, naming each field."""
    errors: list[FieldError] = []
    if b"%00" in query_string or b"\x00" in query_string:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        for name, value in pairs:
            if "\x00" in value or "\x00" in name:
                errors.append(FieldError(field=f"query.{name}", reason=_NUL_REASON, code="nul"))
    # Only a body that spells the escape (or holds the byte) is parsed again.
    if body and (b"\\u0000" in body or b"\x00" in body):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None  # FastAPI answers malformed JSON itself
        errors += [
            FieldError(field=field, reason=_NUL_REASON, code="nul")
            for field in _nul_fields(parsed, "body")
        ]
    return errors


async def _refuse_nul(errors: list[FieldError], scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        422, detail=f"Invalid input in: {', '.join(e.field for e in errors[:5])}", errors=errors
    )
    await response(scope, receive, send)


class Utf8JsonBodyMiddleware:
    """Reads a JSON request's body whole (FastAPI would read it whole anyway before
    parsing it), checks its encoding, and hands the same bytes on. Other bodies —
    CSV and JSON Lines imports, streamed — pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_json, charset = _json_charset(scope["headers"])
        if not is_json:
            errors = nul_refusals(scope.get("query_string", b""), None)
            if errors:
                await _refuse_nul(errors, scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client has gone: nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        refusal = encoding_refusal(charset, body)
        if refusal is not None:
            response = problem_response(
                415,
                detail="the JSON body is not UTF-8",
                errors=[FieldError(field="body", reason=refusal, code="encoding")],
            )
            await response(scope, receive, send)
            return
        errors = nul_refusals(scope.get("query_string", b""), body)
        if errors:
            await _refuse_nul(errors, scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
