"""The gateway: the only public door of renshi.

Wiring only: what the gateway's own endpoints do is in `gateway.endpoints`, what
every request passes first in `gateway.front`, the forwarding of `/api/...` in
`gateway.proxy_handler`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from gateway.accounts import AccountResolver
from gateway.audit import AuditWriter
from gateway.audit_api import audit_router
from gateway.authn import Authenticator
from gateway.endpoints.docs import docs_router
from gateway.endpoints.health import OwnReadiness, audit_database_check, health_router
from gateway.endpoints.jwks import jwks_router
from gateway.endpoints.tokens import token_router
from gateway.front import GatewayFront
from gateway.internal_tokens import InternalSigner
from gateway.ip_lists import AllowListCache
from gateway.jwks import external_key_store
from gateway.keyring import Keyring, load_keyring
from gateway.middleware import install_api_middleware
from gateway.proxy_handler import ProxyHandler
from gateway.rate_limits import RateLimits
from gateway.route_policy import route_table
from gateway.runtime import Runtime, RuntimeSlot, make_forwarder
from gateway.settings import GatewaySettings
from gateway.usage import UsageRecorder
from services.common.db import make_engine
from services.common.principal import Principal

GATEWAY_SERVICE_PRINCIPAL = Principal(
    sub="gateway", kind="service", permissions=["directory:principals:resolve"]
)


class GatewayApp(GatewayFront):
    """The whole gateway as one ASGI app: the front (request id, header size,
    source address, audit of the gateway's own answers) before the proxy of
    `/api/...` and the FastAPI app of everything else; `runtime` is what the
    running gateway holds."""

    def __init__(
        self,
        api: FastAPI,
        proxy: ProxyHandler,
        settings: GatewaySettings,
        runtime: Callable[[], Runtime],
        audit_writer: Callable[[], AuditWriter | None],
    ) -> None:
        super().__init__(api, proxy, settings, audit_writer)
        self.runtime = runtime


GATEWAY_TAG = (
    "The gateway's own operations: tokens, signing keys, its probes and its audit of "
    "decisions. Every other operation is a service's, forwarded under /api/<service>."
)


def create_app(
    settings: GatewaySettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    freeze_after_start: bool = False,
) -> GatewayApp:
    """`freeze_after_start`: for a served gateway (not for tests, which build many)."""
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
    audit_engine = make_engine(settings.database_url)
    slot = RuntimeSlot()

    api = _api(
        _lifespan(settings, transport, keyring, signer, audit_engine, slot, freeze_after_start)
    )
    install_api_middleware(api)
    api.include_router(audit_router(slot.current, audit_engine))
    own = OwnReadiness(
        slot.current, keyring, audit_database_check(audit_engine), rate_limits.store_ping()
    )
    api.include_router(health_router(settings, slot.current, own))
    api.include_router(jwks_router(keyring.issuer))
    api.include_router(
        token_router(settings, keyring, signer, slot.current, allow_lists, rate_limits)
    )
    api.include_router(docs_router(api.openapi))

    proxy = ProxyHandler(settings, route_table(), signer, slot.current, allow_lists, rate_limits)
    return GatewayApp(api, proxy, settings, slot.current, slot.audit_writer)


def _api(lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]) -> FastAPI:
    """The FastAPI app of the gateway's own endpoints; its document is the
    gateway's part of the merged one (served at /openapi.json)."""
    return FastAPI(
        title="renshi",
        version="0.1.0",
        summary="Personnel-office backend: training hours, AI certificates, attendance and "
        "comp time, the lecturer directory.",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=lambda route: f"gateway_{route.name}",
        openapi_tags=[{"name": "gateway", "description": GATEWAY_TAG}],
    )


def _lifespan(
    settings: GatewaySettings,
    transport: httpx.AsyncBaseTransport | None,
    keyring: Keyring,
    signer: InternalSigner,
    audit_engine: Engine,
    slot: RuntimeSlot,
    freeze_after_start: bool,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up makes the Runtime (clients, account resolver, authenticator, audit
    and usage writers) and fills `slot`; shutdown closes it."""

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
        slot.fill(
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
        if freeze_after_start:
            settle_garbage_collector()
        yield
        await slot.release().aclose()
        # Release the audit database's pooled connections with the gateway.
        audit_engine.dispose()

    return lifespan


def settle_garbage_collector() -> None:
    """Move what start-up built (modules, the app, its routes and models) out of
    the collector's sight, and collect the young generation less often.

    A full collection scanned those hundreds of thousands of objects again and
    again, stopping every request for tens of milliseconds: the p99 at
    saturation. Requests leave little cyclic garbage, so fewer, cheaper
    collections cost nothing in memory that matters."""
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, gen1, gen2)


# Allocations (less deallocations) between two young-generation collections;
# CPython's default is 700 (2000 from 3.13 on the incremental collector).
GC_YOUNG_THRESHOLD = 20_000
