"""The gateway: the only public door of renshi."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Form, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from starlette.responses import Response

from gateway import openapi
from gateway.accounts import AccountResolver
from gateway.authn import Authenticator
from gateway.exchange import (
    EXCHANGED_LIFETIME,
    ExchangedToken,
    ExchangeRequest,
    verify_for_exchange,
)
from gateway.issuer import issue_token, public_jwk
from gateway.keyring import Keyring, load_keyring
from gateway.permissions import grants
from gateway.proxy import AiohttpForwarder, Forwarder, HttpxForwarder
from gateway.route_policy import route_table
from gateway.security.allowlist import IpAllowList
from gateway.security.identity_headers import strip_identity_headers
from gateway.security.jwt_headers import JwtRejected, token_from_request
from gateway.security.paths import PathRejected, check_path
from gateway.settings import SERVICES, GatewaySettings
from gateway.source_ip import CLIENT_IP_KEY, SourceIpMiddleware
from services.common.errors import (
    PROBLEM_RESPONSES,
    Forbidden,
    NotFound,
    Problem,
    Unauthorized,
    install_error_handlers,
    problem_response,
)
from services.common.internal_auth import mint_internal_token
from services.common.principal import Principal
from services.common.requestid import RequestIdMiddleware, current_request_id

log = logging.getLogger("renshi.gateway")

GATEWAY_SERVICE_PRINCIPAL = Principal(
    sub="gateway", kind="service", permissions=["directory:principals:resolve"]
)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int


class Readiness(BaseModel):
    status: str
    services: dict[str, str]


class ServiceTokens:
    """Internal tokens for the gateway's own calls, re-signed before they age out."""

    def __init__(self, keyring: Keyring, settings: GatewaySettings) -> None:
        self._keyring = keyring
        self._settings = settings
        self._cached: dict[str, tuple[float, str]] = {}

    def for_service(self, audience: str) -> str:
        now = time.time()
        hit = self._cached.get(audience)
        if hit is not None and hit[0] > now:
            return hit[1]
        token = mint_internal_token(
            GATEWAY_SERVICE_PRINCIPAL,
            audience=audience,
            private_pem=self._keyring.internal.private_pem,
            kid=self._keyring.internal.kid,
            issuer=self._settings.internal_issuer,
            lifetime=60,
            now=now,
        )
        self._cached[audience] = (now + 40, token)
        return token


def create_app(
    settings: GatewaySettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = settings or GatewaySettings()
    keyring = load_keyring(settings)
    routes = route_table()
    service_tokens = ServiceTokens(keyring, settings)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        forwarder: Forwarder
        if transport is not None or settings.forwarder == "httpx":
            forwarder = HttpxForwarder(settings, transport)
        else:
            forwarder = AiohttpForwarder(settings)
        # Account look-ups are few (cached), so they use httpx like every other
        # service-to-service client.
        client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(5.0, connect=settings.upstream_connect_timeout),
        )
        resolver = AccountResolver(
            client,
            settings.service_urls["directory"],
            lambda: service_tokens.for_service("directory"),
            settings.principal_ttl_seconds,
        )
        state["client"] = client
        state["forwarder"] = forwarder
        state["authenticator"] = Authenticator(settings, keyring.issuer, resolver)
        state["resolver"] = resolver
        yield
        await forwarder.aclose()
        await client.aclose()

    app = FastAPI(
        title="renshi",
        version="0.1.0",
        summary="Personnel-office backend: training hours, AI certificates, attendance and "
        "comp time, the lecturer directory.",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=lambda route: f"gateway_{route.name}",
    )
    app.state.settings = settings
    app.state.keyring = keyring
    install_error_handlers(app)
    # Outermost first: the request id exists before the source-IP check answers.
    app.add_middleware(
        SourceIpMiddleware,
        allowed=settings.allowed_networks,
        trusted_proxies=settings.trusted_proxies,
    )
    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz", tags=["gateway"], summary="Liveness of the gateway")
    async def healthz() -> dict[str, str]:
        return {"status": "alive", "service": "gateway"}

    @app.get(
        "/readyz",
        tags=["gateway"],
        summary="Readiness of the gateway and every service",
        response_model=Readiness,
        responses={503: PROBLEM_RESPONSES[500]},
    )
    async def readyz() -> Any:
        forwarder: Forwarder = state["forwarder"]

        async def probe(service: str, url: str) -> tuple[str, str]:
            status = await forwarder.get_status(f"{url}/readyz", 3.0)
            if status is None:
                return service, "unreachable"
            return service, "ready" if status == 200 else "not ready"

        results = dict(
            await asyncio.gather(*(probe(s, u) for s, u in settings.service_urls.items()))
        )
        if all(v == "ready" for v in results.values()):
            return Readiness(status="ready", services=results)
        return problem_response(503, detail="a service is not ready", extra={"services": results})

    @app.get(
        "/.well-known/jwks.json", tags=["gateway"], summary="Public keys of the built-in issuer"
    )
    async def jwks() -> dict[str, list[dict[str, Any]]]:
        return {"keys": [public_jwk(keyring.issuer)]}

    @app.post(
        "/oauth/token",
        tags=["gateway"],
        response_model=TokenResponse,
        responses=PROBLEM_RESPONSES,
        summary="OAuth2 client credentials for machine accounts",
    )
    async def oauth_token(
        request: Request,
        grant_type: Annotated[str, Form()],
        client_id: Annotated[str, Form(max_length=64)],
        client_secret: Annotated[str, Form(max_length=256)],
    ) -> TokenResponse:
        if grant_type != "client_credentials":
            raise Problem(
                "only grant_type=client_credentials is supported",
                slug="unsupported-grant-type",
                extra={"error": "unsupported_grant_type"},
            )
        resolver: AccountResolver = state["resolver"]
        account = await resolver.client_credentials(client_id, client_secret)
        if account is None or account.kind != "machine" or not account.usable:
            raise Unauthorized(
                "client authentication failed",
                slug="invalid-client",
                extra={"error": "invalid_client"},
            )
        _check_account_network(request, account.allowed_networks, account.kind)
        lifetime = settings.max_token_lifetime_machine
        token = issue_token(
            keyring.issuer,
            account=account.account,
            issuer=settings.issuer,
            audience=settings.audience,
            lifetime=lifetime,
        )
        return TokenResponse(access_token=token, expires_in=lifetime)

    @app.post("/internal/token-exchange", include_in_schema=False)
    async def token_exchange(request: Request, body: ExchangeRequest) -> ExchangedToken:
        try:
            token = token_from_request(request.scope["headers"], b"")
        except JwtRejected as exc:
            raise Unauthorized(exc.reason) from None
        _caller, principal = verify_for_exchange(
            token, keyring.internal.public_pem, settings.internal_issuer, body.audience
        )
        exchanged = mint_internal_token(
            principal,
            audience=body.audience,
            private_pem=keyring.internal.private_pem,
            kid=keyring.internal.kid,
            issuer=settings.internal_issuer,
            lifetime=EXCHANGED_LIFETIME,
        )
        return ExchangedToken(access_token=exchanged)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        if "openapi" not in state:
            documents = {svc: openapi.service_document(svc) for svc in SERVICES}
            state["openapi"] = openapi.merge(app.openapi(), documents)
        return JSONResponse(state["openapi"])

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="renshi API")

    @app.api_route(
        "/api/{service}/{rest:path}",
        include_in_schema=False,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    )
    async def proxy(request: Request) -> Response:
        started = time.perf_counter()
        scope = request.scope
        outcome: dict[str, Any] = {
            "decision": "deny",
            "template": None,
            "subject": None,
            "kind": None,
        }
        try:
            response = await _authorise_and_forward(request, scope, outcome)
            outcome["decision"] = "allow"
            return response
        except Problem as exc:
            outcome["status"] = exc.status
            raise
        finally:
            log.info(
                "gateway decision",
                extra={
                    "decision": outcome["decision"],
                    "subject": outcome["subject"],
                    "account_kind": outcome["kind"],
                    "source_ip": str(scope.get("state", {}).get(CLIENT_IP_KEY, "")),
                    "method": request.method,
                    "route": outcome["template"],
                    "status": outcome.get("status"),
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )

    async def _authorise_and_forward(
        request: Request, scope: MutableMapping[str, Any], outcome: dict[str, Any]
    ) -> Response:
        try:
            path = check_path(scope.get("raw_path") or scope["path"].encode())
        except PathRejected as exc:
            raise Problem(f"path refused: {exc.reason}", status=400) from None
        match = routes.lookup(request.method, path)
        if match is None:
            raise NotFound("no such operation")
        outcome["template"] = match.template
        try:
            token = token_from_request(scope["headers"], scope.get("query_string", b""))
        except JwtRejected as exc:
            raise Unauthorized(exc.reason) from None
        authenticator: Authenticator = state["authenticator"]
        auth = await authenticator.authenticate(token, current_request_id())
        outcome["subject"], outcome["kind"] = auth.principal.sub, auth.principal.kind
        _check_account_network(request, auth.account.allowed_networks, auth.account.kind)
        if not grants(auth.principal.permissions, match.permission):
            raise Forbidden(f"requires permission {match.permission}")
        service = path.split("/", 3)[2]
        base = settings.service_urls.get(service)
        if base is None:
            raise NotFound("no such service")
        internal = mint_internal_token(
            auth.principal,
            audience=service,
            private_pem=keyring.internal.private_pem,
            kid=keyring.internal.kid,
            issuer=settings.internal_issuer,
            lifetime=30,
        )
        headers = [
            (k, v)
            for k, v in strip_identity_headers(list(scope["headers"]))
            if k.lower() != b"host"
        ]
        headers.append((b"authorization", f"Bearer {internal}".encode()))
        headers.append((b"x-request-id", current_request_id().encode()))
        client_ip = scope.get("state", {}).get(CLIENT_IP_KEY)
        if client_ip is not None:
            headers.append((b"x-forwarded-for", str(client_ip).encode()))
        query = scope.get("query_string", b"").decode("latin-1")
        url = base.rstrip("/") + path[len(f"/api/{service}") :] + (f"?{query}" if query else "")
        forwarder: Forwarder = state["forwarder"]
        response = await forwarder.forward(
            request,
            url=url,
            headers=headers,
            max_body_bytes=settings.max_body_bytes,
        )
        outcome["status"] = response.status_code
        return response

    return app


def _check_account_network(request: Request, networks: list[str], kind: str) -> None:
    """Machine accounts must have an allow-list; a human account may have one."""
    if kind == "machine" and not networks:
        raise Forbidden("machine account has no source allow-list")
    if networks:
        client_ip = request.scope.get("state", {}).get(CLIENT_IP_KEY)
        if client_ip is None or not IpAllowList.from_config(networks).allows(client_ip):
            raise Forbidden("source address is not allowed for this account")
