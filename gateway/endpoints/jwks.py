"""The built-in issuer's public keys, for whoever verifies the tokens it signs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from gateway.issuer import public_jwk
from gateway.keys import KeyPair


class JsonWebKeySet(BaseModel):
    keys: list[dict[str, Any]]


def jwks_router(issuer_key: KeyPair) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/.well-known/jwks.json",
        tags=["gateway"],
        response_model=JsonWebKeySet,
        summary="Public keys of the built-in issuer",
    )
    async def jwks() -> JsonWebKeySet:
        return JsonWebKeySet(keys=[public_jwk(issuer_key)])

    return router
