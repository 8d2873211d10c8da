"""The gateway: the only public door of renshi."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Form, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import openapi
from gateway.accounts import AccountResolver
from gateway.audit import AuditWriter, DecisionAuditMiddleware
from gateway.audit_api import audit_router
from gateway.authn import Authenticator
from gateway.decision_notes import note_decision
from gateway.exchange import (
    EXCHANGED_LIFETIME,
    ExchangedToken,
    ExchangeRequest,
    verify_for_exchange,
)
from gateway.header_limits import HeaderSizeMiddleware
from gateway.internal_tokens import InternalSigner
from gateway.ip_lists import AllowListCache
from gateway.issuer import issue_token, public_jwk
from gateway.jwks import external_key_store
from gateway.keyring import load_keyring
from gateway.proxy_handler import ProxyHandler, check_account_network
from gateway.rate_limits import RateLimits
from gateway.route_policy import route_table
from gateway.runtime import Runtime, make_forwarder
from gateway.security.jwt_headers import JwtRejected, token_from_request
from gateway.settings import GatewaySettings
from gateway.source_ip import CLIENT_IP_KEY, SourceIpMiddleware
from gateway.usage import UsageRecorder
from services.common.db import make_engine
from services.common.errors import (
    PROBLEM_RESPONSES,
    Problem,
    Unauthorized,
    install_error_handlers,
    problem_response,
)
from services.common.json_body import Utf8JsonBodyMiddleware
from services.common.migrate import current_revisions, head_revisions
from services.common.principal import Principal
from services.common.requestid import RequestIdMiddleware

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


class Liveness(BaseModel):
    status: str
    service: str


class JsonWebKeySet(BaseModel):
    keys: list[dict[str, Any]]


class Dispatcher:
    """`/api/...` to the lean proxy handler, everything else to the FastAPI app."""

    def __init__(self, api: FastAPI, proxy: ProxyHandler) -> None:
        self.api = api
        self.proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            await self.proxy(scope, receive, send)
        else:
            await self.api(scope, receive, send)


class GatewayApp:
    """The whole gateway as one ASGI app. Outermost first: the request id exists
    before anything answers; every decision not audited further in is audited
    next; header size and source address are checked before any token is
    looked at."""

    def __init__(
        self,
        api: FastAPI,
        proxy: ProxyHandler,
        settings: GatewaySettings,
        runtime: Callable[[], Runtime],
        audit_writer: Callable[[], AuditWriter | None],
    ) -> None:
        self.api = api
        self.runtime = runtime
        self._app: ASGIApp = RequestIdMiddleware(
            DecisionAuditMiddleware(
                HeaderSizeMiddleware(
                    SourceIpMiddleware(
                        Dispatcher(api, proxy),
                        allowed=settings.allowed_networks,
                        trusted_proxies=settings.trusted_proxies,
                    ),
                    max_bytes=settings.max_header_bytes,
                ),
                audit_writer,
            )
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def create_app(
    settings: GatewaySettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> GatewayApp:
    settings = settings or GatewaySettings()
    keyring = load_keyring(settings)
    signer = InternalSigner(keyring.internal, settings.internal_issuer)
    allow_lists = AllowListCache()
    rate_limits = RateLimits(
        settings.rate_limit_storage,
        settings.rate_limit_per_ip,
        settings.rate_limit_per_principal,
        settings.rate_limit_key_prefix,
    )
    holder: list[Runtime] = []
    audit_engine = make_engine(settings.database_url)
    audit_heads = head_revisions("gateway")

    def audit_database_state() -> str:
        try:
            current = current_revisions(audit_engine)
        except Exception:
            return "audit database unreachable"
        return "ready" if current == audit_heads else "audit database not migrated"

    # Built on first request: it imports every service's app.
    merged_document: dict[str, Any] = {}

    def runtime() -> Runtime:
        if not holder:
            raise Problem("the gateway is starting", status=503, slug="service-unavailable")
        return holder[0]

    def directory_token() -> str:
        return signer.for_request(GATEWAY_SERVICE_PRINCIPAL, "directory", "gateway-itself")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Account look-ups are few (cached), so they use httpx like every other
        # client between services; forwarding uses the measured-fastest client.
        client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(5.0, connect=settings.upstream_connect_timeout),
        )
        resolver = AccountResolver(
            client,
            settings.service_urls["directory"],
            directory_token,
            settings.principal_ttl_seconds,
        )
        audit = AuditWriter(audit_engine)
        audit.start()
        # Which permission each account used, for the account review: sent to
        # the directory in one batched call a minute, on the gateway's identity.
        usage = UsageRecorder(client, settings.service_urls["directory"], directory_token)
        usage.start()
        holder.append(
            Runtime(
                forwarder=make_forwarder(settings, transport),
                client=client,
                resolver=resolver,
                authenticator=Authenticator(
                    settings,
                    keyring.issuer,
                    resolver,
                    jwks=external_key_store(settings, client),
                ),
                audit=audit,
                usage=usage,
            )
        )
        yield
        await holder.pop().aclose()
        # Release the audit database's pooled connections with the gateway.
        audit_engine.dispose()

    api = FastAPI(
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
    install_error_handlers(api)
    # The gateway's own JSON endpoints (token exchange) read JSON as the services
    # do; proxied bodies are checked by the service that parses them.
    api.add_middleware(Utf8JsonBodyMiddleware)
    api.include_router(audit_router(runtime, audit_engine))

    @api.get(
        "/healthz", tags=["gateway"], summary="Liveness of the gateway", response_model=Liveness
    )
    async def healthz() -> Liveness:
        return Liveness(status="alive", service="gateway")

    @api.get(
        "/readyz",
        tags=["gateway"],
        summary="Readiness of the gateway and every service",
        response_model=Readiness,
        responses={503: PROBLEM_RESPONSES[500]},
    )
    async def readyz() -> Any:
        forwarder = runtime().forwarder

        async def probe(service: str, url: str) -> tuple[str, str]:
            status = await forwarder.get_status(f"{url}/readyz", 3.0)
            if status is None:
                return service, "unreachable"
            return service, "ready" if status == 200 else "not ready"

        results = dict(
            await asyncio.gather(*(probe(s, u) for s, u in settings.service_urls.items()))
        )
        results["gateway"] = await asyncio.to_thread(audit_database_state)
        if all(v == "ready" for v in results.values()):
            return Readiness(status="ready", services=results)
        return problem_response(503, detail="a service is not ready", extra={"services": results})

    @api.get(
        "/.well-known/jwks.json",
        tags=["gateway"],
        response_model=JsonWebKeySet,
        summary="Public keys of the built-in issuer",
    )
    async def jwks() -> JsonWebKeySet:
        return JsonWebKeySet(keys=[public_jwk(keyring.issuer)])

    @api.post(
        "/oauth/token",
        tags=["gateway"],
        response_model=TokenResponse,
        responses=PROBLEM_RESPONSES,
        summary="OAuth2 client credentials for machine and service accounts",
    )
    async def oauth_token(
        request: Request,
        grant_type: Annotated[str, Form()],
        client_id: Annotated[str, Form(max_length=64)],
        client_secret: Annotated[str, Form(max_length=256)],
    ) -> TokenResponse:
        await rate_limits.check_ip(str(request.scope.get("state", {}).get(CLIENT_IP_KEY, "")))
        if grant_type != "client_credentials":
            raise Problem(
                "only grant_type=client_credentials is supported",
                slug="unsupported-grant-type",
                extra={"error": "unsupported_grant_type"},
            )
        account = await runtime().resolver.client_credentials(client_id, client_secret)
        # Machine accounts and renshi's own service accounts; never a person's.
        if account is None or account.kind == "human" or not account.usable:
            raise Unauthorized(
                "client authentication failed",
                slug="invalid-client",
                extra={"error": "invalid_client"},
            )
        note_decision(request.scope, subject=account.account, account_kind=account.kind)
        check_account_network(request.scope, allow_lists, account.allowed_networks, account.kind)
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

    @api.post("/internal/token-exchange", include_in_schema=False)
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

    @api.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        if not merged_document:
            merged_document.update(openapi.merge(api.openapi(), openapi.service_documents()))
        return JSONResponse(merged_document)

    @api.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="renshi API")

    def audit_writer() -> AuditWriter | None:
        return holder[0].audit if holder else None

    proxy = ProxyHandler(settings, route_table(), signer, runtime, allow_lists, rate_limits)
    return GatewayApp(api, proxy, settings, runtime, audit_writer)
