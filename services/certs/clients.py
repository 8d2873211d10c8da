"""Typed clients of the services certs calls on a caller's behalf: the directory
(who a person is and where they work, and an agency's subtree for searches and
summaries asked "with subordinates").

A request's call carries the caller's principal: the request's internal token is
exchanged at the gateway for one addressed to the peer, so the directory applies
the caller's own reach. Tests replace `peer_clients` with a provider that mints
tokens itself and a transport into a stub.

The directory contract assumed here (as training's): `GET /persons/{id}` answers
`{"id", "agency_code", "unit_id"}`, 404 when unknown or outside the caller's reach;
`GET /agencies/{code}/subtree` answers `{"codes": [...]}`, the agency first, within
the caller's own `directory:agencies:read` scope.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from pydantic import BaseModel, ValidationError

from services.certs.settings import CertsSettings
from services.common.errors import Forbidden, ServiceUnavailable
from services.common.internal_auth import bearer
from services.common.peers import GatewayTokenExchange, PeerClient, PeerSet


class DirectoryPerson(BaseModel):
    id: str
    agency_code: str
    unit_id: int | str | None = None

    @property
    def unit(self) -> str:
        return "" if self.unit_id is None else str(self.unit_id)


class DirectoryClient:
    def __init__(self, peer: PeerClient) -> None:
        self._peer = peer

    def person(self, person_id: str) -> DirectoryPerson | None:
        """The person as the directory has them; None when it knows no such person
        (or not within the caller's reach, which it answers the same way)."""
        response = self._peer.request("GET", f"/persons/{person_id}")
        if response.status_code == 404:
            return None
        if response.status_code == 403:
            # The caller's role lacks the grant: their problem, not a fault.
            raise Forbidden(
                "the directory refused: reading a person needs directory:persons:read "
                "for the person's agency"
            )
        self._peer.json_or_raise(response)
        try:
            return DirectoryPerson.model_validate(response.json())
        except (ValueError, ValidationError):
            raise ServiceUnavailable(
                "the directory service answered in an unexpected shape"
            ) from None

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
    token = bearer(request) or ""
    peers = Peers(settings.peer_urls, GatewayTokenExchange(settings.gateway_url, token))
    try:
        yield peers
    finally:
        peers.close()
