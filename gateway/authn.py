"""External tokens → a principal: verify the JWT, then the account behind it.

Two issuers may be trusted: the built-in one (Ed25519 key in the keyring)
and, when configured, an external identity provider whose keys come from its
JWKS (``gateway/jwks.py``). The token's unverified ``iss`` only chooses where
the key is looked up (exact string compare, so ``https://idp.example.evil``
is not ``https://idp.example``); ``jwt.decode`` then verifies ``iss`` again
against the chosen source, and the token's ``alg`` must equal the one
algorithm the key is bound to. A key of one issuer can therefore never vouch
for a token claiming the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.accounts import AccountResolver, ResolvedAccount
from gateway.jwks import JwksKeyStore, JwksUnavailable, PublicKey
from gateway.keys import KeyPair
from gateway.security.jwt_headers import JwtRejected, precheck_jwt_header
from gateway.security.token_cache import TokenCache
from gateway.settings import GatewaySettings
from services.common.errors import ServiceUnavailable, Unauthorized
from services.common.principal import Principal

BUILT_IN_ALGORITHMS = ("EdDSA",)
REQUIRED_CLAIMS = ["exp", "nbf", "iat", "iss", "aud", "sub"]


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    account: ResolvedAccount
    # Identifies the principal's content: internal tokens signed for it are
    # reused under this key.
    fingerprint: str


class Authenticator:
    def __init__(
        self,
        settings: GatewaySettings,
        issuer_key: KeyPair,
        resolver: AccountResolver,
        cache: TokenCache[Authenticated] | None = None,
        *,
        jwks: JwksKeyStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if bool(settings.jwks_url) != (jwks is not None):
            raise ValueError("a JWKS key store is needed exactly when GATEWAY_JWKS_URL is set")
        self._settings = settings
        self._clock = clock
        public = serialization.load_pem_public_key(issuer_key.public_pem.encode())
        assert isinstance(public, Ed25519PublicKey)
        # kid → (key object, its pinned algorithms). A key object, never PEM
        # text, so HMAC-with-the-public-key cannot be smuggled in.
        self._keys = {issuer_key.kid: (public, list(BUILT_IN_ALGORITHMS))}
        self._jwks = jwks
        # The header pre-check admits the union; each source then pins its own.
        self._header_algorithms = frozenset(BUILT_IN_ALGORITHMS) | (
            jwks.algorithms if jwks is not None else frozenset()
        )
        self._external_audience = settings.external_audience or settings.audience
        self._resolver = resolver
        self._cache: TokenCache[Authenticated] = (
            cache if cache is not None else TokenCache(max_entries=10_000)
        )

    async def _verify_claims(self, token: str) -> tuple[dict[str, object], float]:
        """The verified claims and how long (s) the key that verified them is trusted."""
        try:
            header = precheck_jwt_header(token, self._header_algorithms)
        except JwtRejected as exc:
            raise Unauthorized(f"token refused: {exc.reason}") from None
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("token refused: unknown signing key")
        key: PublicKey
        if self._jwks is not None and _unverified_issuer(token) == self._settings.external_issuer:
            try:
                bound = await self._jwks.key_for(kid)
            except JwksUnavailable as exc:
                raise ServiceUnavailable(
                    "the identity provider's signing keys are unavailable",
                    headers={"Retry-After": str(exc.retry_after)},
                ) from None
            if bound is None:
                raise Unauthorized("token refused: unknown signing key")
            key, algorithms = bound.key, [bound.algorithm]
            issuer, audience = self._settings.external_issuer, self._external_audience
            trusted_for = self._jwks.seconds_left()
        else:
            entry = self._keys.get(kid)
            if entry is None:
                raise Unauthorized("token refused: unknown signing key")
            key, algorithms = entry
            issuer, audience = self._settings.issuer, self._settings.audience
            trusted_for = math.inf
        if header.get("alg") not in algorithms:
            raise Unauthorized("token refused: algorithm does not match the key")
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=audience,
                issuer=issuer,
                leeway=self._settings.leeway_seconds,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"token refused: {type(exc).__name__}") from None
        iat = claims["iat"]
        if not isinstance(iat, int | float) or iat > self._clock() + self._settings.leeway_seconds:
            raise Unauthorized("token refused: issued in the future")
        return claims, trusted_for

    def _max_lifetime(self, kind: str) -> int:
        if kind == "human":
            return self._settings.max_token_lifetime_human
        return self._settings.max_token_lifetime_machine

    async def authenticate(self, token: str) -> Authenticated:
        now = self._clock()
        cached = self._cache.get(token, now)
        if cached is not None:
            return cached
        claims, key_trusted_for = await self._verify_claims(token)
        account = await self._resolver.resolve(str(claims["sub"]))
        if account is None:
            raise Unauthorized("token refused: account is not registered")
        if not account.usable:
            raise Unauthorized("token refused: account is disabled")
        exp, iat = claims["exp"], claims["iat"]
        assert isinstance(exp, int | float) and isinstance(iat, int | float)
        if exp - iat > self._max_lifetime(account.kind):
            raise Unauthorized("token refused: lifetime exceeds the maximum for this account kind")
        principal = Principal(
            sub=account.account,
            kind=account.kind,
            person_id=account.person_id,
            agency_code=account.agency_code,
            agency_scope=account.agency_scope,
            roles=account.roles,
            permissions=account.permissions,
        )
        fingerprint = hashlib.sha256(principal.model_dump_json().encode()).hexdigest()
        result = Authenticated(principal, account, fingerprint)
        # Never past the token's own expiry, nor past the account TTL, so a
        # disabled account's token stops working promptly, nor past the time
        # its JWKS key is trusted, so a key the IdP removed stops working too.
        self._cache.put(
            token,
            result,
            subject=account.account,
            now=now,
            exp=min(float(exp), now + self._settings.principal_ttl_seconds, now + key_trusted_for),
        )
        return result


def _no_duplicate_members(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for name, value in pairs:
        if name in result:
            raise Unauthorized("token refused: duplicate claim")
        result[name] = value
    return result


def _unverified_issuer(token: str) -> str | None:
    """The claimed ``iss``, read only to choose a key source; verified later.

    Duplicate claims are refused: the chooser and the verifier must never read
    different ``iss`` values from one token.
    """
    payload = token.split(".")[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_members)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None  # jwt.decode refuses it with the built-in source's key
    if not isinstance(claims, dict):
        return None
    iss = claims.get("iss")
    return iss if isinstance(iss, str) else None
