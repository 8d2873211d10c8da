"""Token exchange for calls between services on a caller's behalf.

A service presents the internal token it received (audience = itself) and
names a peer; when the peer call is allowed, the gateway signs a new internal
token for the peer with the same principal. Clients never hold internal tokens,
so this endpoint is only useful to services.
"""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, Field

from gateway.policies.peers import PEER_CALLS
from gateway.settings import SERVICES
from services.common.errors import Forbidden, Unauthorized
from services.common.internal_auth import ALGORITHM, LEEWAY_SECONDS, load_public_key
from services.common.principal import Principal

EXCHANGED_LIFETIME = 30


class ExchangeRequest(BaseModel):
    audience: str = Field(max_length=32)


class ExchangedToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int = EXCHANGED_LIFETIME


def verify_for_exchange(
    token: str, public_pem: str, issuer: str, audience: str
) -> tuple[str, Principal]:
    """Return (calling service, principal) or raise 401/403."""
    key: Ed25519PublicKey = load_public_key(public_pem)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=list(SERVICES),
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid internal token: {type(exc).__name__}") from None
    caller = claims["aud"]
    if not isinstance(caller, str) or audience not in PEER_CALLS.get(caller, frozenset()):
        raise Forbidden(f"the calling service may not call {audience}")
    return caller, Principal.model_validate(claims.get("principal") or {})
