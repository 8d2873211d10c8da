"""The built-in token issuer, so the embedded default needs no external identity provider."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from gateway.keyring import load_keyring
from gateway.keys import KeyPair
from gateway.settings import GatewaySettings

ALGORITHM = "EdDSA"


def issue_token(
    keypair: KeyPair,
    *,
    account: str,
    issuer: str,
    audience: str,
    lifetime: int,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": account,
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(
        claims, keypair.private_pem, algorithm=ALGORITHM, headers={"kid": keypair.kid, "typ": "JWT"}
    )


def issue_for(settings: GatewaySettings, account: str, lifetime: int) -> str:
    """A token of the built-in issuer as this gateway accepts it (its key, `iss`
    and `aud`): what `renshi token` prints, and what tests and benchmarks that
    start the system sign in with."""
    return issue_token(
        load_keyring(settings).issuer,
        account=account,
        issuer=settings.issuer,
        audience=settings.audience,
        lifetime=lifetime,
    )


def public_jwk(keypair: KeyPair) -> dict[str, Any]:
    public = serialization.load_pem_public_key(keypair.public_pem.encode())
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError("issuer key must be Ed25519")
    jwk: dict[str, Any] = OKPAlgorithm.to_jwk(public, as_dict=True)
    jwk.update({"kid": keypair.kid, "alg": ALGORITHM, "use": "sig"})
    return jwk
