"""Checks on an external JWT before any key lookup or signature work.

``precheck_jwt_header`` refuses what must never reach the verifier: tokens
that are not exactly three base64url segments, oversize tokens, ``alg``
missing / ``none`` / outside the pinned set (exact, case-sensitive
comparison), headers that make the verifier fetch or trust a key named by the
token itself (``jku``, ``x5u``, ``jwk``, ``x5c``), ``crit`` (extensions the
verifier does not implement), ``b64`` (unencoded payloads change the signing
input) and ``cty`` (nested tokens are not accepted). ``kid`` is used to pick a
key, so it is held to a short ``[A-Za-z0-9._-]`` name: no paths, URLs or
query fragments reach a key store.

The header is decoded here rather than with ``jwt.get_unverified_header`` to
refuse duplicate member names: PyJWT keeps the last ``alg``, other parsers
the first, and the two must never disagree.

``token_from_request`` reads the bearer token only from a single
Authorization header; a token-like query parameter is refused even when the
header is present, since query strings end up in logs and browser history.

``JwtRejected.reason`` never contains the token, its claims or the ``kid``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

__all__ = [
    "MAX_KID_LENGTH",
    "MAX_TOKEN_BYTES",
    "JwtRejected",
    "precheck_jwt_header",
    "token_from_request",
]

MAX_TOKEN_BYTES = 8 * 1024
MAX_KID_LENGTH = 64

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_KID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_KID_LENGTH}}}")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_REFUSED_PARAMETERS = ("jku", "x5u", "jwk", "x5c", "crit", "b64", "cty")
_ACCEPTED_TYPES = frozenset({"jwt", "at+jwt"})
_QUERY_TOKEN_NAMES = frozenset(
    {"access_token", "token", "jwt", "id_token", "bearer", "authorization"}
)


class JwtRejected(ValueError):
    """The token is refused; ``reason`` names why without echoing it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _no_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JwtRejected("duplicate member in JWT header")
        result[key] = value
    return result


def _refuse_constant(_: str) -> Any:
    raise JwtRejected("JWT header is not valid JSON")


def _decode_header(segment: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicate_members,
            parse_constant=_refuse_constant,
        )
    except JwtRejected:
        raise
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise JwtRejected("JWT header is not valid base64url JSON") from None
    if not isinstance(header, dict):
        raise JwtRejected("JWT header is not a JSON object")
    return header


def _check_allowed(allowed_algorithms: frozenset[str]) -> None:
    # Configuration errors, not token errors: fail loudly.
    if not allowed_algorithms:
        raise ValueError("no JWT algorithm allowed")
    if any(alg.lower() == "none" for alg in allowed_algorithms):
        raise ValueError("'none' must never be an allowed JWT algorithm")


def precheck_jwt_header(token: str, allowed_algorithms: frozenset[str]) -> dict[str, Any]:
    """Return the decoded JOSE header or raise ``JwtRejected``."""
    _check_allowed(allowed_algorithms)
    if not isinstance(token, str) or not token.isascii():
        raise JwtRejected("token is not ASCII text")
    if len(token) > MAX_TOKEN_BYTES:
        raise JwtRejected("token too large")
    segments = token.split(".")
    if len(segments) != 3 or not all(_SEGMENT.fullmatch(s) for s in segments):
        # Also refuses an empty signature, the shape of an unsecured token.
        raise JwtRejected("token is not three base64url segments")
    header = _decode_header(segments[0])

    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise JwtRejected("alg missing")
    if alg.lower() == "none":
        raise JwtRejected("alg none refused")
    if alg not in allowed_algorithms:
        raise JwtRejected("alg not allowed")

    for parameter in _REFUSED_PARAMETERS:
        if parameter in header:
            raise JwtRejected(f"header parameter {parameter} refused")

    if "kid" in header:
        kid = header["kid"]
        if not isinstance(kid, str) or not _KID.fullmatch(kid) or ".." in kid or kid == ".":
            raise JwtRejected("kid malformed")

    if "typ" in header:
        typ = header["typ"]
        if not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYPES:
            raise JwtRejected("typ not accepted")
    return header


def _refuse_query_token(query_string: bytes | str) -> None:
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    # Split on ';' too: some frameworks still treat it as a separator.
    for pair in re.split(r"[&;]", text):
        name = unquote_plus(pair.partition("=")[0]).strip().lower().replace("-", "_")
        if name in _QUERY_TOKEN_NAMES:
            raise JwtRejected("token in query string refused")


def token_from_request(headers: Iterable[tuple[bytes, bytes]], query_string: bytes | str) -> str:
    """The bearer token of exactly one ``Authorization: Bearer`` header."""
    if query_string:
        _refuse_query_token(query_string)
    values = [value for name, value in headers if name.strip().lower() == b"authorization"]
    if not values:
        raise JwtRejected("missing Authorization header")
    if len(values) > 1:
        raise JwtRejected("several Authorization headers")
    scheme, _, credentials = values[0].decode("latin-1").strip(" \t").partition(" ")
    if scheme.lower() != "bearer":
        raise JwtRejected("Authorization scheme is not Bearer")
    token = credentials.lstrip(" ")
    if not _TOKEN68.fullmatch(token):
        raise JwtRejected("malformed bearer token")
    return token
