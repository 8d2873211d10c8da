"""Tokens the gateway issues: external ones by OAuth2 client credentials (machine
and service accounts), internal ones by exchange (a service calling a peer on its
caller's behalf)."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from gateway.decision_notes import note_decision
from gateway.exchange import (
    EXCHANGED_LIFETIME,
    ExchangedToken,
    ExchangeRequest,
    verify_for_exchange,
)
from gateway.internal_tokens import InternalSigner
from gateway.ip_lists import AllowListCache
from gateway.issuer import issue_token
from gateway.keyring import Keyring
from gateway.proxy_handler import check_account_network
from gateway.rate_limits import RateLimits
from gateway.runtime import Runtime
from gateway.security.jwt_headers import JwtRejected, token_from_request
from gateway.settings import GatewaySettings
from gateway.source_ip import CLIENT_IP_KEY
from services.common.errors import PROBLEM_RESPONSES, Problem, Unauthorized


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int


def _client_credentials(
    request: Request, client_id: str | None, client_secret: str | None
) -> tuple[str, str]:
    if client_id is not None and client_secret is not None:
        return client_id, client_secret
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        basic_id, colon, basic_secret = decoded.partition(":")
        if colon and 0 < len(basic_id) <= 64 and 0 < len(basic_secret) <= 256:
            return basic_id, basic_secret
    raise Unauthorized(
        "client authentication failed",
        slug="invalid-client",
        extra={"error": "invalid_client"},
        headers={"WWW-Authenticate": 'Basic realm="renshi"'},
    )


def token_router(
    settings: GatewaySettings,
    keyring: Keyring,
    signer: InternalSigner,
    runtime: Callable[[], Runtime],
    allow_lists: AllowListCache,
    rate_limits: RateLimits,
) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/oauth/token",
        tags=["gateway"],
        response_model=TokenResponse,
        responses=PROBLEM_RESPONSES,
        summary="OAuth2 client credentials for machine and service accounts",
    )
    async def oauth_token(
        request: Request,
        grant_type: Annotated[str, Form()],
        client_id: Annotated[str | None, Form(max_length=64)] = None,
        client_secret: Annotated[str | None, Form(max_length=256)] = None,
    ) -> TokenResponse:
        """The client authenticates in the form (`client_id`, `client_secret`) or
        by HTTP Basic (RFC 6749 §2.3.1), as Swagger UI's Authorize does."""
        await rate_limits.check_ip(str(request.scope.get("state", {}).get(CLIENT_IP_KEY, "")))
        if grant_type != "client_credentials":
            raise Problem(
                "only grant_type=client_credentials is supported",
                slug="unsupported-grant-type",
                extra={"error": "unsupported_grant_type"},
            )
        client_id, client_secret = _client_credentials(request, client_id, client_secret)
        account = await runtime().resolver.client_credentials(client_id, client_secret)
        # Machine accounts and renshi's own service accounts; never a person's.
        if account is None or account.kind == "human" or not account.usable:
            raise Unauthorized(
                "client authentication failed",
                slug="invalid-client",
                extra={"error": "invalid_client"},
            )
        note_decision(request.scope, subject=account.account, account_kind=account.kind)
        check_account_network(
            request.scope.get("state", {}).get(CLIENT_IP_KEY),
            allow_lists,
            account.allowed_networks,
            account.kind,
        )
        lifetime = settings.max_token_lifetime_machine
        token = issue_token(
            keyring.issuer,
            account=account.account,
            issuer=settings.issuer,
            audience=settings.audience,
            lifetime=lifetime,
            now=time.time(),
        )
        return TokenResponse(access_token=token, expires_in=lifetime)

    @router.post("/internal/token-exchange", include_in_schema=False)
    async def token_exchange(request: Request, body: ExchangeRequest) -> ExchangedToken:
        try:
            token = token_from_request(request.scope["headers"], b"")
        except JwtRejected as exc:
            raise Unauthorized(exc.reason) from None
        _caller, principal = verify_for_exchange(
            token, keyring.internal.public_pem, settings.internal_issuer, body.audience
        )
        note_decision(request.scope, subject=principal.sub, account_kind=principal.kind)
        return ExchangedToken(
            access_token=signer.sign(principal, body.audience, lifetime=EXCHANGED_LIFETIME)
        )

    return router
