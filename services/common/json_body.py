"""JSON request bodies are UTF-8 (RFC 8259 §8.1), checked once for every app.

FastAPI hands the raw bytes to json.loads, which guesses UTF-16 and UTF-32 from
the first bytes and reads them too; a body any other JSON parser would refuse
then passes here, and text checked as UTF-8 elsewhere (a length, a pattern on
the wire) means something else. Such a body is refused with a 415 problem
naming it, before any handler runs.
"""

from __future__ import annotations

import json

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
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
