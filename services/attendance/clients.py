"""Typed clients of the services attendance calls: the directory (agencies).

Each call carries the caller's principal: the request's internal token is
exchanged at the gateway for one addressed to the directory. Tests replace
`peer_clients` with a provider that mints tokens itself and a transport into
the directory's app.

The directory contract assumed here: `GET /agencies/{code}` answers the agency
(200) when it exists and the caller may read it, 404 when it does not exist or
lies outside what the caller may read, 403 when the caller may read no agency.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from fastapi import Request

from services.attendance.settings import AttendanceSettings
from services.common.errors import FieldError, Forbidden, ServiceUnavailable
from services.common.internal_auth import bearer
from services.common.peers import GatewayTokenExchange, PeerClient, PeerSet


class DirectoryClient:
    def __init__(self, peer: PeerClient) -> None:
        self._peer = peer

    def agency_exists(self, code: str, *, field: str) -> bool:
        """Whether the directory knows the agency `code`, as the caller sees it.
        `field` names the input the code came from, for a refusal."""
        response = self._peer.request("GET", f"/agencies/{quote(code, safe='')}")
        if response.status_code == 404:
            return False
        if response.status_code == 403:
            # The caller may not read the directory's agencies: the agency can be
            # neither confirmed nor denied, so the move is refused, not guessed.
            raise Forbidden(
                "the directory refused: confirming the agency needs directory:agencies:read",
                errors=[
                    FieldError(
                        field=field,
                        reason="the directory does not let the caller confirm this agency",
                        code="unconfirmed_agency",
                    )
                ],
            )
        body = self._peer.json_or_raise(response)
        if not isinstance(body, dict) or body.get("code") != code:
            raise ServiceUnavailable("the directory service answered in an unexpected shape")
        return True


class Peers(PeerSet):
    """The peers attendance calls on a caller's behalf."""

    def directory(self) -> DirectoryClient:
        return DirectoryClient(self.client("directory"))


def peer_clients(request: Request) -> Iterator[Peers]:
    """Dependency: peers reached on the caller's behalf through the gateway's exchange."""
    settings: AttendanceSettings = request.app.state.settings
    token = bearer(request) or ""
    peers = Peers(settings.peer_urls, GatewayTokenExchange(settings.gateway_url, token))
    try:
        yield peers
    finally:
        peers.close()
