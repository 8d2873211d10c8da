"""Removal of client-sent headers that assert identity or internal context.

Services trust only the internal token the gateway mints; still, nothing a
client sends may look like gateway-made context on the way in, in any
spelling some layer might accept: names are compared after trimming blanks,
lower-casing and reading ``_`` as ``-`` (some servers and WSGI bridges fold
``X_User`` into ``X-User``). A header whose name is not a valid HTTP token
after trimming is dropped: no layer agrees on what it means.

Also removed: headers naming the client address (the gateway writes its own
X-Forwarded-*), path and method overrides (they would change what the
gateway authorised), and hop-by-hop headers (Connection and every header it
lists, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*). All
other headers keep their order and values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["is_identity_header", "normalize_header_name", "strip_identity_headers"]

_REMOVED_NAMES = frozenset(
    {
        # Credentials and asserted identity.
        "authorization",
        "x-internal-token",
        "x-access-token",
        "x-id-token",
        "x-api-key",
        "x-remote-user",
        "x-subject",
        # Client address claims; the gateway sets its own.
        "forwarded",
        "x-real-ip",
        "x-client-ip",
        "x-cluster-client-ip",
        "x-originating-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "fastly-client-ip",
        "client-ip",
        # Path and method overrides honoured by some frameworks.
        "x-original-url",
        "x-original-uri",
        "x-rewrite-url",
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
        # Hop-by-hop (RFC 9110 §7.6.1).
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

_REMOVED_PREFIXES = (
    "x-renshi-",
    "x-internal-",
    "x-user",
    "x-principal",
    "x-remote-",
    "x-auth",  # x-auth-*, x-authorization, x-authenticated-*
    "x-role",
    "x-permission",
    "x-agency",
    "x-person",
    "x-account",
    "x-subject",
    "x-jwt",
    "x-client-cert",
    "x-ssl-client",
    "ssl-client",
    "x-arr-clientcert",
    "x-amzn-oidc-",
    "x-goog-authenticated-",
    "x-ms-client-principal",
    "x-forwarded-",
    "proxy-",
)

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BLANKS = " \t\r\n\v\f"


def normalize_header_name(name: bytes | str) -> str | None:
    """Lower-case, ``_`` read as ``-``, blanks trimmed; None if not a valid token."""
    text = name.decode("latin-1") if isinstance(name, bytes) else name
    text = text.strip(_BLANKS)
    if not _TOKEN.fullmatch(text):
        return None
    return text.lower().replace("_", "-")


def is_identity_header(normalized_name: str) -> bool:
    """True for a name (already normalised) the gateway must never forward."""
    return normalized_name in _REMOVED_NAMES or normalized_name.startswith(_REMOVED_PREFIXES)


def _connection_listed(headers: Iterable[tuple[str | None, bytes]]) -> set[str]:
    listed: set[str] = set()
    for name, value in headers:
        if name == "connection":
            for option in value.decode("latin-1").split(","):
                normalized = normalize_header_name(option)
                if normalized is not None:
                    listed.add(normalized)
    return listed


# name as received → (its normalised form, whether it is dropped whatever the
# Connection header says). Clients send the same few names on every request;
# bounded, cleared when full.
_NAMES: dict[bytes, tuple[str | None, bool]] = {}
_MAX_NAMES = 2048


def _name(name: bytes) -> tuple[str | None, bool]:
    found = _NAMES.get(name)
    if found is None:
        if len(_NAMES) >= _MAX_NAMES:
            _NAMES.clear()
        normalized = normalize_header_name(name)
        found = _NAMES[name] = (
            normalized,
            normalized is None or is_identity_header(normalized),
        )
    return found


def strip_identity_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Return a new list without identity, client-address, override and
    hop-by-hop headers; the input is left unchanged."""
    names = [_name(name) for name, _ in headers]
    listed = _connection_listed(
        (normalized, value) for (normalized, _), (_, value) in zip(names, headers, strict=True)
    )
    if not listed:
        return [pair for (_, drop), pair in zip(names, headers, strict=True) if not drop]
    return [
        pair
        for (normalized, drop), pair in zip(names, headers, strict=True)
        if not drop and normalized not in listed
    ]
