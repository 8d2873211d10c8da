"""Canonical request paths and the route table: the path forwarded is exactly
the path authorised.

Why so strict: a naive FastAPI + httpx proxy was shown to let
``/items/%2e%2e/admin/users`` through. The proxy authorised the route
``/items/{item_id}``, then the client library resolved the dot segment and
the upstream served ``/admin/users``. Every layer (ASGI server, router, HTTP
client, upstream framework) decodes and normalises paths differently, so
rather than normalising and hoping all layers agree, anything whose meaning
could change between the gateway and a service is refused, and whatever is
accepted has exactly one spelling. The gateway authorises that spelling and
forwards it byte for byte as the raw (still percent-encoded) path.

Refused (``PathRejected``, answered with 400): dot segments in raw, encoded
or Unicode-compatible form; encoded ``/``; ``\\`` raw or encoded; ``;`` raw or
encoded (matrix parameters, Tomcat-style path parameters); ``%25`` (double
encoding); NUL and control characters; raw bytes >= 0x80; invalid percent
escapes; percent-encoded bytes that are not UTF-8; empty segments (``//`` and a
trailing ``/``); paths not starting with ``/``; paths over 2048 bytes.

Canonical form: percent-encoded RFC 3986 ``pchar`` characters are decoded
(``%41`` becomes ``A``, ``%2E`` becomes ``.``) and every remaining escape is
upper-case, so ``/records/%61dmin`` cannot slip past a literal ``admin``
segment under a parameter's permission.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "MAX_PATH_BYTES",
    "PathRejected",
    "RouteMatch",
    "RouteTable",
    "check_path",
    "match_template",
]

MAX_PATH_BYTES = 2048

_ALPHANUMERIC = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UNRESERVED = frozenset(_ALPHANUMERIC + b"-._~")
# RFC 3986 pchar minus ';': none of these has a structural meaning to
# Starlette, uvicorn or httpx inside a path.
_PCHAR = _UNRESERVED | frozenset(b"!$&'()*+,=:@")
_HEXDIGITS = frozenset(b"0123456789ABCDEFabcdef")
# Characters that, after Unicode compatibility folding, would split or
# rewrite a path if some layer applied NFKC (e.g. U+FF0F, U+FF3C, U+FF1B).
_FOLDED_SEPARATORS = frozenset("/\\;")


class PathRejected(ValueError):
    """The raw path is not acceptable; ``reason`` never contains the path."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _raw_refusal(byte: int) -> str:
    if byte == 0x5C:
        return "backslash"
    if byte == 0x3B:
        return "semicolon (path parameter)"
    if byte == 0x00:
        return "NUL byte"
    if byte < 0x20 or byte == 0x7F:
        return "control character"
    if byte >= 0x80:
        return "non-ASCII not percent-encoded"
    return "character not allowed in a path"


def _escape_refusal(byte: int) -> str | None:
    if byte == 0x2F:
        return "encoded slash"
    if byte == 0x5C:
        return "encoded backslash"
    if byte == 0x3B:
        return "encoded semicolon"
    if byte == 0x25:
        return "encoded percent sign (double encoding)"
    if byte == 0x00:
        return "encoded NUL"
    if byte < 0x20 or byte == 0x7F:
        return "encoded control character"
    return None


def _canonical_segment(segment: bytes) -> str:
    if not segment:
        raise PathRejected("empty segment")
    canonical = bytearray()
    decoded = bytearray()
    i = 0
    while i < len(segment):
        byte = segment[i]
        if byte == 0x25:  # '%'
            digits = segment[i + 1 : i + 3]
            if len(digits) != 2 or not all(d in _HEXDIGITS for d in digits):
                raise PathRejected("invalid percent escape")
            value = int(digits, 16)
            refusal = _escape_refusal(value)
            if refusal is not None:
                raise PathRejected(refusal)
            if value in _PCHAR:
                canonical.append(value)
            else:
                canonical += b"%%%02X" % value
            decoded.append(value)
            i += 3
        elif byte in _PCHAR:
            canonical.append(byte)
            decoded.append(byte)
            i += 1
        else:
            raise PathRejected(_raw_refusal(byte))
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        # Invalid UTF-8 (including overlong forms such as %C0%AE for '.')
        # is decoded differently by each layer, or replaced by U+FFFD.
        raise PathRejected("percent-encoded bytes are not UTF-8") from None
    if text in (".", ".."):
        raise PathRejected("dot segment")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise PathRejected("encoded control character")
    folded = unicodedata.normalize("NFKC", text)
    if folded in (".", "..") or not _FOLDED_SEPARATORS.isdisjoint(folded):
        raise PathRejected("segment folds to a dot segment or separator")
    return canonical.decode("ascii")


def check_path(raw_path: bytes | str) -> str:
    """Validate the raw request path (ASGI ``raw_path``, no query string) and
    return its canonical form, the one to authorise and to forward.

    The result is still percent-encoded and is a fixed point:
    ``check_path(check_path(p)) == check_path(p)``.
    """
    if isinstance(raw_path, str):
        if not raw_path.isascii():
            raise PathRejected("non-ASCII not percent-encoded")
        data = raw_path.encode("ascii")
    else:
        data = bytes(raw_path)
    if len(data) > MAX_PATH_BYTES:
        raise PathRejected("path too long")
    if not data.startswith(b"/"):
        raise PathRejected("path must start with '/'")
    if data == b"/":
        return "/"
    if _PLAIN_PATH.fullmatch(data):
        # Already canonical: unreserved ASCII only, no empty or dot-led segment.
        return data.decode("ascii")
    return "/" + "/".join(_canonical_segment(s) for s in data[1:].split(b"/"))


# The common case, checked in one regex instead of byte by byte.
_PLAIN_PATH = re.compile(rb"(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+")


_LITERAL, _PARAM, _REST = 0, 1, 2
_PARAM_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REST_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):path\}")


@dataclass(frozen=True, slots=True)
class _Template:
    text: str
    # One kind per segment; sorting by kinds puts literals before parameters
    # before a trailing catch-all, position by position.
    kinds: tuple[int, ...]
    values: tuple[str, ...]  # literal text or parameter name


@lru_cache(maxsize=1024)
def _parse_template(template: str) -> _Template:
    if not template.startswith("/"):
        raise ValueError(f"route template {template!r} must start with '/'")
    if template == "/":
        return _Template(template, (), ())
    kinds: list[int] = []
    values: list[str] = []
    segments = template[1:].split("/")
    for index, segment in enumerate(segments):
        if (m := _PARAM_RE.fullmatch(segment)) is not None:
            kinds.append(_PARAM)
            values.append(m.group(1))
        elif (m := _REST_RE.fullmatch(segment)) is not None:
            if index != len(segments) - 1:
                raise ValueError(f"route template {template!r}: {{name:path}} must come last")
            kinds.append(_REST)
            values.append(m.group(1))
        else:
            # A literal that is not canonical could never match a checked path.
            try:
                canonical = check_path("/" + segment) if segment else None
            except PathRejected:
                canonical = None
            if canonical != "/" + segment:
                raise ValueError(f"route template {template!r} has a non-canonical segment")
            kinds.append(_LITERAL)
            values.append(segment)
    names = [v for k, v in zip(kinds, values, strict=True) if k != _LITERAL]
    if len(names) != len(set(names)):
        raise ValueError(f"route template {template!r} repeats a parameter name")
    return _Template(template, tuple(kinds), tuple(values))


def _prefix(template: _Template) -> tuple[str, str] | None:
    """The first two segments when both are literal (e.g. ("api", "training"))."""
    if template.kinds[:2] == (_LITERAL, _LITERAL):
        return template.values[0], template.values[1]
    return None


def _split(path: str) -> list[str] | None:
    if not path.startswith("/"):
        return None
    return [] if path == "/" else path[1:].split("/")


def _match(template: _Template, segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, (kind, value) in enumerate(zip(template.kinds, template.values, strict=True)):
        if kind == _REST:
            rest = segments[index:]
            if not rest or not all(rest):
                return None
            params[value] = "/".join(rest)
            return params
        if index >= len(segments) or not segments[index]:
            return None
        if kind == _LITERAL:
            if segments[index] != value:
                return None
        else:
            params[value] = segments[index]
    return params if len(segments) == len(template.kinds) else None


def match_template(path: str, template: str) -> dict[str, str] | None:
    """Match a canonical path against ``/a/{name}/b`` or ``/a/{rest:path}``.

    ``{name}`` matches exactly one non-empty segment, a trailing
    ``{name:path}`` one or more. Values are returned as they appear in the
    path (still percent-encoded). Raises ``ValueError`` for a bad template.
    """
    segments = _split(path)
    if segments is None:
        return None
    return _match(_parse_template(template), segments)


def _relation(a: _Template, b: _Template) -> int | None:
    """None if no path matches both; -1 if ``a`` is at least as specific at
    every position, 1 if ``b`` is, 0 if neither (ambiguous)."""
    a_more = b_more = False
    for index in range(max(len(a.kinds), len(b.kinds))):
        if index >= len(a.kinds) or index >= len(b.kinds):
            return None  # different lengths and no catch-all yet
        ka, kb = a.kinds[index], b.kinds[index]
        if _REST in (ka, kb):
            # A catch-all is less specific than any one segment it overlaps.
            if kb != _REST:
                b_more = True
            elif ka != _REST:
                a_more = True
            break
        if ka == kb == _LITERAL:
            if a.values[index] != b.values[index]:
                return None
        elif ka == _LITERAL:
            a_more = True
        elif kb == _LITERAL:
            b_more = True
    if a_more and not b_more:
        return -1
    if b_more and not a_more:
        return 1
    return 0


class RouteMatch(NamedTuple):
    template: str
    permission: str


_METHOD_RE = re.compile(r"[A-Z]+")


class RouteTable:
    """(method, template) -> permission, default deny.

    Where two templates of one method can match the same path, the one with a
    literal at the first position where they differ wins (FastAPI practice:
    fixed paths before parameters). Pairs where each is more specific
    somewhere (``/a/{x}/c`` and ``/{y}/b/c``) or neither is (``/a/{x}`` and
    ``/a/{y}``) are refused at construction: the upstream router would decide
    by declaration order, which the gateway cannot see. HEAD and OPTIONS are
    granted only when listed.
    """

    def __init__(self, routes: Mapping[tuple[str, str], str]) -> None:
        by_method: dict[str, list[tuple[_Template, str]]] = {}
        for (method, template), permission in routes.items():
            if not _METHOD_RE.fullmatch(method):
                raise ValueError(f"method {method!r} must be an upper-case HTTP method")
            if not isinstance(permission, str) or not permission:
                raise ValueError(f"route {method} {template}: permission must be non-empty")
            parsed = _parse_template(template)
            for other, _ in by_method.get(method, []):
                relation = _relation(parsed, other)
                if relation == 0:
                    raise ValueError(
                        f"routes {method} {template} and {other.text} overlap "
                        "without one being more specific"
                    )
            by_method.setdefault(method, []).append((parsed, permission))
        self._by_method = {
            method: tuple(sorted(entries, key=lambda entry: entry[0].kinds))
            for method, entries in by_method.items()
        }
        # Every public path starts /api/<service>/: looking only at the templates
        # that share the first two literal segments keeps a lookup from trying
        # every route of every service. Templates without such a prefix join
        # every bucket, so the order above (the specificity rule) is unchanged.
        self._buckets: dict[tuple[str, str, str], tuple[tuple[_Template, str], ...]] = {}
        for method, entries in self._by_method.items():
            prefixes = {_prefix(t) for t, _ in entries} - {None}
            for prefix in prefixes:
                assert prefix is not None
                self._buckets[(method, *prefix)] = tuple(
                    (t, perm) for t, perm in entries if _prefix(t) in (prefix, None)
                )
            self._by_method[method] = tuple((t, perm) for t, perm in entries if _prefix(t) is None)

    def lookup(self, method: str, path: str) -> RouteMatch | None:
        """Return (template, permission) for a canonical path, else None.

        A path that is not already canonical is denied rather than fixed up:
        callers must pass the output of ``check_path``.
        """
        try:
            if check_path(path) != path:
                return None
        except PathRejected:
            return None
        segments = _split(path)
        if segments is None:
            return None
        entries = None
        if len(segments) >= 2:
            entries = self._buckets.get((method, segments[0], segments[1]))
        if entries is None:
            entries = self._by_method.get(method)
        if not entries:
            return None
        for template, permission in entries:
            if _match(template, segments) is not None:
                return RouteMatch(template.text, permission)
        return None
