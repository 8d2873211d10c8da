"""Internal tokens: minted by the gateway for one service, verified by that service.

Short-lived (≤ 60 s), EdDSA-signed, audience = the target service. Services trust
nothing else: identity headers are ignored and a request without a valid token is 401.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request

from services.common.errors import Unauthorized
from services.common.principal import Principal

ALGORITHM = "EdDSA"
MAX_LIFETIME_SECONDS = 60
LEEWAY_SECONDS = 5
HEADER = "authorization"


def mint_internal_token(
    principal: Principal,
    *,
    audience: str,
    private_pem: str,
    kid: str,
    issuer: str = "renshi-gateway",
    lifetime: int = 30,
    now: float | None = None,
) -> str:
    if not 0 < lifetime <= MAX_LIFETIME_SECONDS:
        raise ValueError("internal token lifetime must be within 1..60 s")
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": principal.sub,
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "jti": uuid.uuid4().hex,
        "principal": principal.model_dump(mode="json"),
    }
    return jwt.encode(claims, private_pem, algorithm=ALGORITHM, headers={"kid": kid})


class InternalTokenVerifier:
    def __init__(self, *, public_pem: str, audience: str, issuer: str = "renshi-gateway") -> None:
        # The key object, not PEM text: PyJWT then refuses any algorithm that
        # does not belong to an Ed25519 key (no HS256-with-public-key trick).
        self._key = load_public_key(public_pem) if public_pem else None
        self.audience = audience
        self.issuer = issuer

    def verify(self, token: str) -> Principal:
        if self._key is None:
            raise Unauthorized("internal token verification is not configured")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid internal token: {type(exc).__name__}") from None
        if claims["exp"] - claims["iat"] > MAX_LIFETIME_SECONDS:
            raise Unauthorized("invalid internal token: lifetime over 60 s")
        try:
            return Principal.model_validate(claims.get("principal") or {})
        except ValueError:
            raise Unauthorized("invalid internal token: malformed principal") from None


def load_public_key(public_pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("internal token key must be Ed25519")
    return key


def bearer(request: Request) -> str | None:
    value = request.headers.get(HEADER)
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()


def get_principal(request: Request) -> Principal:
    token = bearer(request)
    if token is None:
        raise Unauthorized("internal token required")
    verifier: InternalTokenVerifier = request.app.state.token_verifier
    principal = verifier.verify(token)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
