"""External tokens → a principal: verify the JWT, then the account behind it."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.accounts import AccountResolver, ResolvedAccount
from gateway.security.jwt_headers import JwtRejected, precheck_jwt_header
from gateway.security.token_cache import TokenCache
from gateway.settings import GatewaySettings
from services.common.errors import Unauthorized
from services.common.keys import KeyPair
from services.common.principal import Principal

ALLOWED_ALGORITHMS = frozenset({"EdDSA"})
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
    ) -> None:
        self._settings = settings
        public = serialization.load_pem_public_key(issuer_key.public_pem.encode())
        assert isinstance(public, Ed25519PublicKey)
        # kid → (key object, its pinned algorithms). A key object, never PEM
        # text, so HMAC-with-the-public-key cannot be smuggled in.
        self._keys = {issuer_key.kid: (public, ["EdDSA"])}
        self._resolver = resolver
        self._cache: TokenCache[Authenticated] = (
            cache if cache is not None else TokenCache(max_entries=10_000)
        )

    def _verify_claims(self, token: str) -> dict[str, object]:
        try:
            header = precheck_jwt_header(token, ALLOWED_ALGORITHMS)
        except JwtRejected as exc:
            raise Unauthorized(f"token refused: {exc.reason}") from None
        kid = header.get("kid")
        entry = self._keys.get(kid) if isinstance(kid, str) else None
        if entry is None:
            raise Unauthorized("token refused: unknown signing key")
        key, algorithms = entry
        if header.get("alg") not in algorithms:
            raise Unauthorized("token refused: algorithm does not match the key")
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=self._settings.leeway_seconds,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"token refused: {type(exc).__name__}") from None
        iat = claims["iat"]
        if not isinstance(iat, int | float) or iat > time.time() + self._settings.leeway_seconds:
            raise Unauthorized("token refused: issued in the future")
        return claims

    def _max_lifetime(self, kind: str) -> int:
        if kind == "human":
            return self._settings.max_token_lifetime_human
        return self._settings.max_token_lifetime_machine

    async def authenticate(self, token: str) -> Authenticated:
        now = time.time()
        cached = self._cache.get(token, now)
        if cached is not None:
            return cached
        claims = self._verify_claims(token)
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
        # disabled account's token stops working promptly.
        self._cache.put(
            token,
            result,
            subject=account.account,
            now=now,
            exp=min(float(exp), now + self._settings.principal_ttl_seconds),
        )
        return result
