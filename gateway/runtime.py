"""What the gateway holds while it runs: made at start-up, closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from gateway.accounts import AccountResolver
from gateway.audit import AuditWriter
from gateway.authn import Authenticator
from gateway.h1_forwarder import H1Forwarder
from gateway.proxy import AiohttpForwarder, Forwarder, HttpxForwarder
from gateway.settings import GatewaySettings
from gateway.usage import UsageRecorder
from services.common.errors import Problem


@dataclass
class Runtime:
    forwarder: Forwarder
    client: httpx.AsyncClient
    resolver: AccountResolver
    authenticator: Authenticator
    audit: AuditWriter
    usage: UsageRecorder

    async def aclose(self) -> None:
        await self.audit.aclose()
        # Before the client closes: the last entries go out on it.
        await self.usage.aclose()
        await self.forwarder.aclose()
        await self.client.aclose()


class RuntimeSlot:
    """Where the running gateway's Runtime is held: filled at start-up, emptied at
    shutdown; asked for before start-up, it is a 503."""

    def __init__(self) -> None:
        self._held: list[Runtime] = []

    def current(self) -> Runtime:
        if not self._held:
            raise Problem("the gateway is starting", status=503, slug="service-unavailable")
        return self._held[0]

    def audit_writer(self) -> AuditWriter | None:
        return self._held[0].audit if self._held else None

    def fill(self, runtime: Runtime) -> None:
        self._held.append(runtime)

    def release(self) -> Runtime:
        return self._held.pop()


def make_forwarder(
    settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None
) -> Forwarder:
    if settings.forwarder == "httpx":
        return HttpxForwarder(settings, transport)
    if settings.forwarder == "aiohttp":
        return AiohttpForwarder(settings)
    return H1Forwarder(settings)
