"""Signing keys of an external identity provider, read from its JWKS.

Each usable JWK becomes a ``BoundKey``: a public-key object (never PEM text,
so HMAC-with-the-public-key cannot be smuggled in) bound to exactly one
algorithm, taken from the JWK's ``alg`` or, when absent, the only algorithm
this gateway accepts for its key type (RSA → RS256, EC P-256 → ES256, OKP
Ed25519 → EdDSA). A token is verified only with its key's algorithm.

Skipped, with a log line that names the key's position, its ``kid`` when
well-formed and the reason (never key material): ``use`` other than ``sig``,
``key_ops`` without ``verify``, symmetric (``oct``) keys, any ``HS*`` or
``none`` algorithm, an algorithm outside ``GATEWAY_EXTERNAL_ALGORITHMS``, an
``alg`` that does not fit the key type or curve, private members (an IdP
that publishes them has leaked its key), RSA moduli under 2048 bits, missing
or malformed ``kid``, duplicated ``kid`` (every copy: which one the IdP
meant is unknowable) and anything the parser refuses.

Caching, with ``clock`` (monotonic seconds) injectable for tests:

* a fetched set is trusted for ``cache_seconds`` (at most 300) counted from
  the start of the fetch, so a key the IdP removes stops working here within
  that time; the authenticator also caps its verified-token cache by
  ``seconds_left()``;
* fetches start at most once per ``min_refetch_seconds`` (failed ones
  included, so an unreachable IdP is not hammered), and concurrent callers
  share the one in flight;
* an unknown ``kid`` triggers a refetch within that limit, otherwise it is
  simply unknown (401);
* in the last fifth of a set's life a lookup of a known key starts a refresh
  in the background and is answered from the current set, so a short IdP
  outage around the expiry costs nothing;
* a failed fetch keeps the last good set until it expires. After that,
  tokens of the external issuer are answered 503 (``JwksUnavailable``), not
  401: the token may be perfectly valid and the client should retry later
  rather than discard it and send its user through a new login.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ec import (
    SECP256R1,
    SECP384R1,
    SECP521R1,
    EllipticCurvePublicKey,
)
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from gateway.security.jwt_headers import MAX_KID_LENGTH
from gateway.settings import GatewaySettings

__all__ = [
    "ACCEPTABLE_ALGORITHMS",
    "MAX_CACHE_SECONDS",
    "BoundKey",
    "JwksKeyStore",
    "JwksUnavailable",
    "check_algorithms",
    "external_key_store",
    "parse_jwks",
]

log = logging.getLogger("renshi.gateway.jwks")

MAX_CACHE_SECONDS = 300.0
# A JWKS is a handful of keys; anything much larger is a mistake or an attack.
MAX_JWKS_BYTES = 64 * 1024
MAX_KEYS = 32
MIN_RSA_BITS = 2048
FETCH_TIMEOUT_SECONDS = 5.0
# Share of a set's lifetime after which a lookup refreshes it in the background.
_REFRESH_AHEAD = 0.2

PublicKey = RSAPublicKey | EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey

# Algorithm → the key type (and curve) it needs. Only asymmetric signatures:
# an external issuer must never share a secret with the gateway.
_KEY_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "RS256": ("RSA", frozenset()),
    "RS384": ("RSA", frozenset()),
    "RS512": ("RSA", frozenset()),
    "PS256": ("RSA", frozenset()),
    "PS384": ("RSA", frozenset()),
    "PS512": ("RSA", frozenset()),
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}
ACCEPTABLE_ALGORITHMS = frozenset(_KEY_TYPES)
# When a JWK names no `alg`, only a key type with a single obvious algorithm
# is usable; guessing between RS256 and PS256 (or a curve's variants) is not.
_IMPLIED_ALGORITHM: dict[tuple[str, str | None], str] = {
    ("RSA", None): "RS256",
    ("EC", "P-256"): "ES256",
    ("OKP", "Ed25519"): "EdDSA",
}
_CURVE_TYPES = {"P-256": SECP256R1, "P-384": SECP384R1, "P-521": SECP521R1}
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
_KID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_KID_LENGTH}}}")


class JwksUnavailable(Exception):
    """No trustworthy key set: the IdP could not be read and the last set expired."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the identity provider's signing keys are unavailable")
        self.retry_after = retry_after


class JwksDocumentError(ValueError):
    """The response is not a JWKS at all (as opposed to one bad key in it)."""


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BoundKey:
    kid: str
    algorithm: str
    key: PublicKey


def check_algorithms(algorithms: Iterable[str]) -> frozenset[str]:
    """The configured external algorithms, or ValueError naming what is wrong."""
    chosen = frozenset(algorithms)
    if not chosen:
        raise ValueError("GATEWAY_EXTERNAL_ALGORITHMS must name at least one algorithm")
    refused = sorted(a for a in chosen if a.lower() == "none" or a.upper().startswith("HS"))
    if refused:
        raise ValueError(
            f"GATEWAY_EXTERNAL_ALGORITHMS refuses {', '.join(refused)}: 'none' and HMAC "
            "algorithms are never accepted from an external issuer"
        )
    unknown = sorted(chosen - ACCEPTABLE_ALGORITHMS)
    if unknown:
        raise ValueError(
            f"GATEWAY_EXTERNAL_ALGORITHMS: unsupported {', '.join(unknown)}; "
            f"choose from {', '.join(sorted(ACCEPTABLE_ALGORITHMS))}"
        )
    return chosen


def _describe(index: int, jwk: object) -> str:
    # Only the position and a well-formed kid: nothing else of a JWK is logged.
    kid = jwk.get("kid") if isinstance(jwk, dict) else None
    if isinstance(kid, str) and _KID.fullmatch(kid):
        return f"key #{index} (kid {kid})"
    return f"key #{index}"


def _bind(jwk: object, algorithms: frozenset[str]) -> BoundKey:
    if not isinstance(jwk, dict):
        raise _Skip("not a JSON object")
    kty = jwk.get("kty")
    if not isinstance(kty, str):
        raise _Skip("kty missing")
    if kty == "oct":
        raise _Skip("symmetric keys are never used")
    if _PRIVATE_MEMBERS & jwk.keys():
        # Before use/key_ops, so that the log names what matters most.
        raise _Skip("private key members published")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise _Skip("use is not sig")
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        raise _Skip("key_ops does not allow verify")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid) or ".." in kid:
        raise _Skip("kid missing or malformed")
    crv = jwk.get("crv")
    if crv is not None and not isinstance(crv, str):
        raise _Skip("crv malformed")
    alg = jwk.get("alg")
    if alg is None:
        alg = _IMPLIED_ALGORITHM.get((kty, crv))
        if alg is None:
            raise _Skip("no alg and none implied by the key type")
    if not isinstance(alg, str) or alg not in ACCEPTABLE_ALGORITHMS:
        raise _Skip("alg is not an acceptable signature algorithm")
    if alg not in algorithms:
        raise _Skip("alg is not in GATEWAY_EXTERNAL_ALGORITHMS")
    needed_kty, curves = _KEY_TYPES[alg]
    if kty != needed_kty or (curves and crv not in curves):
        raise _Skip("alg does not fit the key type")
    try:
        key: object
        if kty == "RSA":
            key = RSAAlgorithm.from_jwk(jwk)
        elif kty == "EC":
            key = ECAlgorithm.from_jwk(jwk)
        else:
            key = OKPAlgorithm.from_jwk(jwk)
    except Exception:
        # Untrusted input to a parser: whatever it refuses, the key is unusable.
        raise _Skip("not a valid public key") from None
    if isinstance(key, RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise _Skip("RSA key shorter than 2048 bits")
    elif isinstance(key, EllipticCurvePublicKey):
        assert isinstance(crv, str)
        if not isinstance(key.curve, _CURVE_TYPES[crv]):
            raise _Skip("curve does not match crv")
    elif not isinstance(key, Ed25519PublicKey | Ed448PublicKey):
        raise _Skip("not a public key")
    return BoundKey(kid=kid, algorithm=alg, key=key)


def parse_jwks(document: object, algorithms: frozenset[str]) -> dict[str, BoundKey]:
    """kid → usable key. JwksDocumentError if ``document`` is not a JWKS."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksDocumentError("not a JSON object with a keys array")
    entries: list[Any] = document["keys"]
    if len(entries) > MAX_KEYS:
        raise JwksDocumentError(f"more than {MAX_KEYS} keys")
    bound: dict[str, BoundKey] = {}
    duplicated: set[str] = set()
    for index, jwk in enumerate(entries):
        try:
            key = _bind(jwk, algorithms)
        except _Skip as skip:
            log.warning("JWKS %s skipped: %s", _describe(index, jwk), skip.reason)
            continue
        if key.kid in bound or key.kid in duplicated:
            duplicated.add(key.kid)
            bound.pop(key.kid, None)
            log.warning("JWKS %s skipped: kid appears more than once", _describe(index, jwk))
            continue
        bound[key.kid] = key
    return bound


class JwksKeyStore:
    """The IdP's current keys, fetched on demand without blocking the event loop."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        algorithms: Iterable[str],
        cache_seconds: float = MAX_CACHE_SECONDS,
        min_refetch_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = FETCH_TIMEOUT_SECONDS,
    ) -> None:
        if not url:
            raise ValueError("a JWKS URL is required")
        if not 0 < cache_seconds <= MAX_CACHE_SECONDS:
            raise ValueError(f"JWKS cache time must be between 0 and {MAX_CACHE_SECONDS:g} s")
        if not 0 < min_refetch_seconds <= cache_seconds:
            raise ValueError("JWKS minimum refetch interval must be positive and ≤ cache time")
        self._client = client
        self._url = url
        self._algorithms = check_algorithms(algorithms)
        self._cache_seconds = float(cache_seconds)
        self._min_refetch = float(min_refetch_seconds)
        self._clock = clock
        self._timeout = timeout
        self._keys: dict[str, BoundKey] = {}
        self._fetched_at: float | None = None
        self._last_attempt: float | None = None
        self._inflight: asyncio.Task[bool] | None = None

    @property
    def algorithms(self) -> frozenset[str]:
        return self._algorithms

    def _age(self, now: float) -> float:
        return math.inf if self._fetched_at is None else now - self._fetched_at

    def seconds_left(self) -> float:
        """How much longer the current set is trusted (0 when expired or absent)."""
        return max(0.0, self._cache_seconds - self._age(self._clock()))

    def _may_start_fetch(self, now: float) -> bool:
        return self._last_attempt is None or now - self._last_attempt >= self._min_refetch

    def _fetch_running(self) -> bool:
        return self._inflight is not None and not self._inflight.done()

    def _start_fetch(self) -> asyncio.Task[bool]:
        if self._inflight is None or self._inflight.done():
            self._last_attempt = self._clock()
            self._inflight = asyncio.get_running_loop().create_task(self._fetch(self._last_attempt))
        return self._inflight

    async def _join_fetch(self) -> None:
        # Shielded: one caller giving up (client disconnect) must not cancel
        # the fetch every other caller is waiting for.
        await asyncio.shield(self._start_fetch())

    async def key_for(self, kid: str) -> BoundKey | None:
        """The key named ``kid``; None if the IdP does not publish it.

        Raises JwksUnavailable when no set is trusted and none can be fetched.
        """
        now = self._clock()
        age = self._age(now)
        if age < self._cache_seconds:
            key = self._keys.get(kid)
            if key is not None:
                if age >= self._cache_seconds * (1 - _REFRESH_AHEAD) and (
                    self._fetch_running() or self._may_start_fetch(now)
                ):
                    self._start_fetch()
                return key
            # Unknown kid: perhaps a key published since the last fetch.
            if self._fetch_running() or self._may_start_fetch(now):
                await self._join_fetch()
            if self._age(self._clock()) < self._cache_seconds:
                return self._keys.get(kid)
        elif self._fetch_running() or self._may_start_fetch(now):
            await self._join_fetch()
            if self._age(self._clock()) < self._cache_seconds:
                return self._keys.get(kid)
        raise JwksUnavailable(retry_after=max(1, math.ceil(self._retry_after())))

    def _retry_after(self) -> float:
        if self._last_attempt is None:
            return self._min_refetch
        return self._min_refetch - (self._clock() - self._last_attempt)

    async def refresh(self) -> bool:
        """Fetch now (sharing a fetch already running); True if a set was installed."""
        return await asyncio.shield(self._start_fetch())

    async def _fetch(self, started: float) -> bool:
        try:
            document = await self._download()
            keys = parse_jwks(document, self._algorithms)
        except Exception as exc:
            # Any failure is just a failed fetch: the last good set stays until
            # it expires. Never the body in the log: a broken IdP might answer
            # with anything.
            log.warning("JWKS fetch failed: %s", _failure(exc))
            return False
        self._keys = keys
        self._fetched_at = started
        log.info("JWKS fetched: %d usable key(s)", len(keys))
        return True

    async def _download(self) -> object:
        async with self._client.stream(
            "GET",
            self._url,
            headers={"Accept": "application/jwk-set+json, application/json"},
            timeout=self._timeout,
            follow_redirects=False,
        ) as response:
            if response.status_code != 200:
                raise JwksDocumentError(f"HTTP status {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksDocumentError(f"larger than {MAX_JWKS_BYTES} bytes")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise JwksDocumentError("not JSON") from None


def _failure(exc: Exception) -> str:
    # Our own messages are safe to log; anything else only by its type.
    if isinstance(exc, JwksDocumentError):
        return str(exc)
    return type(exc).__name__


def external_key_store(
    settings: GatewaySettings,
    client: httpx.AsyncClient,
    *,
    clock: Callable[[], float] | None = None,
) -> JwksKeyStore | None:
    """The key store the settings ask for, or None without an external IdP.

    Refuses (ValueError) a configuration that could confuse the two issuers or
    fetch keys over an unauthenticated channel in production.
    """
    if not settings.jwks_url:
        return None
    if not settings.external_issuer:
        raise ValueError("GATEWAY_EXTERNAL_ISSUER is required with GATEWAY_JWKS_URL")
    if settings.external_issuer == settings.issuer:
        # The issuer picks the key source: the two must never be the same string.
        raise ValueError("GATEWAY_EXTERNAL_ISSUER must differ from GATEWAY_ISSUER")
    url = httpx.URL(settings.jwks_url)
    if url.scheme not in ("https", "http"):
        raise ValueError("GATEWAY_JWKS_URL must be an http(s) URL")
    if settings.environment == "production" and url.scheme != "https":
        raise ValueError("GATEWAY_JWKS_URL must use https in production")
    return JwksKeyStore(
        client,
        settings.jwks_url,
        algorithms=settings.external_algorithms,
        cache_seconds=settings.jwks_cache_seconds,
        min_refetch_seconds=settings.jwks_min_refetch_seconds,
        clock=clock or time.monotonic,
    )
