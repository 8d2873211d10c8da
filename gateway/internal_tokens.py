"""Signing internal tokens on the hot path.

The signing key is parsed once, and a token for the same principal and
audience is reused for part of its lifetime: signing dominated the gateway's
cost per request when done afresh each time. The request id travels in the
X-Request-ID header instead of the token, so tokens stay reusable.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.keys import KeyPair
from services.common.internal_auth import ALGORITHM
from services.common.principal import Principal

LIFETIME = 30
# Reuse a token while it has at least this many seconds left: a service that
# receives it then still has ample time to use it or exchange it.
REUSE_MARGIN = 15


class InternalSigner:
    def __init__(self, keypair: KeyPair, issuer: str, max_entries: int = 20_000) -> None:
        key = serialization.load_pem_private_key(keypair.private_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("internal signing key must be Ed25519")
        self._key = key
        self._kid = keypair.kid
        self._issuer = issuer
        self._max = max_entries
        self._cache: dict[tuple[str, str], tuple[float, str]] = {}

    def sign(
        self,
        principal: Principal,
        audience: str,
        *,
        now: float | None = None,
        lifetime: int = LIFETIME,
    ) -> str:
        issued = now if now is not None else time.time()
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": audience,
            "sub": principal.sub,
            "iat": int(issued),
            "nbf": int(issued),
            "exp": int(issued) + lifetime,
            "jti": uuid.uuid4().hex,
            "principal": principal.model_dump(mode="json", exclude={"request_id"}),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})

    def for_request(self, principal: Principal, audience: str, cache_key: str) -> str:
        """A token for `principal` at `audience`; `cache_key` must identify the
        principal's whole content (the verified external token does)."""
        now = time.time()
        key = (cache_key, audience)
        hit = self._cache.get(key)
        if hit is not None and hit[0] - now >= REUSE_MARGIN:
            return hit[1]
        token = self.sign(principal, audience, now=now)
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[key] = (now + LIFETIME, token)
        return token
