"""What the gateway holds while it runs: made at start-up, closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from gateway.accounts import AccountResolver
from gateway.audit import AuditWriter
from gateway.authn import Authenticator
from gateway.proxy import AiohttpForwarder, Forwarder, HttpxForwarder
from gateway.settings import GatewaySettings
from gateway.usage import UsageRecorder


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


def make_forwarder(
    settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None
) -> Forwarder:
    if settings.forwarder == "httpx":
        return HttpxForwarder(settings, transport)
    return AiohttpForwarder(settings)
