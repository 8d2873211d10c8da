"""The gateway's middleware: the ASGI stack every request passes through, and what
the FastAPI app of the gateway's own endpoints adds inside it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.audit import AuditWriter, DecisionAuditMiddleware
from gateway.header_limits import HeaderSizeMiddleware
from gateway.proxy_handler import ProxyHandler
from gateway.settings import GatewaySettings
from gateway.source_ip import SourceIpMiddleware
from services.common.errors import install_error_handlers
from services.common.json_body import Utf8JsonBodyMiddleware
from services.common.requestid import RequestIdMiddleware


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


def middleware_stack(
    api: FastAPI,
    proxy: ProxyHandler,
    settings: GatewaySettings,
    audit_writer: Callable[[], AuditWriter | None],
) -> ASGIApp:
    """Outermost first: the request id exists before anything answers; every
    decision not audited further in is audited next; header size and source
    address are checked before any token is looked at."""
    return RequestIdMiddleware(
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


def install_api_middleware(api: FastAPI) -> None:
    """Problem responses for every error, and JSON bodies read as the services
    read them (the token exchange); proxied bodies are checked by the service
    that parses them."""
    install_error_handlers(api)
    api.add_middleware(Utf8JsonBodyMiddleware)
