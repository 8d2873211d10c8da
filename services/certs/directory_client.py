"""The directory as the certs service reads it on a caller's behalf: an agency's
subtree, for searches and summaries asked "with subordinates".

The call carries the caller's principal (the request's internal token exchanged
at the gateway, `PEER_CALLS` lets certs call directory), so the directory
applies the caller's own `directory:agencies:read` scope. Contract:
`GET /agencies/{code}/subtree` answers `{"codes": [...]}`, the agency first.
Tests replace `peer_clients` with peers reaching a stub in-process.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from services.certs.settings import CertsSettings
from services.common.errors import ServiceUnavailable
from services.common.internal_auth import bearer
from services.common.peers import GatewayTokenExchange, PeerClient, PeerSet


class DirectoryClient:
    def __init__(self, peer: PeerClient) -> None:
        self._peer = peer

    def subtree(self, agency_code: str) -> list[str]:
        """The agency and every agency below it."""
        response = self._peer.request("GET", f"/agencies/{agency_code}/subtree")
        body = self._peer.json_or_raise(response)
        codes = body.get("codes") if isinstance(body, dict) else None
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ServiceUnavailable("the directory service answered in an unexpected shape")
        return list(codes)


class Peers(PeerSet):
    """The peers certs calls on a caller's behalf."""

    def directory(self) -> DirectoryClient:
        return DirectoryClient(self.client("directory"))


def peer_clients(request: Request) -> Iterator[Peers]:
    """Dependency: peers reached on the caller's behalf through the gateway's exchange."""
    settings: CertsSettings = request.app.state.settings
    peers = Peers(
        settings.peer_urls, GatewayTokenExchange(settings.gateway_url, bearer(request) or "")
    )
    try:
        yield peers
    finally:
        peers.close()
