"""Training fixtures: callers with the usual roles, and peers reached in-process.

The training app calls speakers (and directory) over HTTP through its typed
clients; here those clients get tokens minted with the test key and a transport
straight into the peer's ASGI app, or into a stub when the peer is not built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.peers import PeerClient
from services.training import clients
from services.training.clients import Peers, peer_clients

EMPLOYEE = {
    "sub": "emp.a01",
    "person_id": "P001",
    "agency_code": "A01",
    "agency_scope": ["A01"],
    "permissions": ["training:records:read:self"],
}
HR_A01 = {
    "sub": "hr.a01",
    "person_id": "H001",
    "agency_code": "A01",
    "agency_scope": ["A01", "A0101"],
    "permissions": ["training:records:read:agency", "training:records:write:agency"],
}
HR_B = {
    "sub": "hr.b01",
    "person_id": "H900",
    "agency_code": "B01",
    "agency_scope": ["B01"],
    "permissions": ["training:records:read:agency", "training:records:write:agency"],
}
TRAINER = {
    "sub": "trainer.a01",
    "person_id": "T001",
    "agency_code": "A01",
    "agency_scope": ["A01"],
    "permissions": [
        "training:records:read:agency",
        "training:records:write:agency",
        "training:classes:write:agency",
        "speakers:search",
        "speakers:engagements:write:agency",
    ],
}
# A platform's importer whose account reaches every agency these tests place
# persons in; an importer writes within its agency scope only (test_import_scope).
IMPORTER = {
    "sub": "importer.elearn",
    "kind": "machine",
    "agency_code": "A01",
    "agency_scope": ["A01", "A0101", "B01"],
    "permissions": ["training:imports:elearn"],
}
NATIONAL = {"sub": "dgpa.admin", "permissions": ["training:records:write", "training:records:read"]}
NOBODY = {"sub": "someone", "permissions": ["certs:certificates:read:self"]}


class Down(httpx.BaseTransport):
    """A peer that cannot be reached."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


class Flaky(httpx.BaseTransport):
    """Passes the first `allow` POSTs through, then fails like a dying peer."""

    def __init__(self, inner: httpx.BaseTransport, allow: int) -> None:
        self.inner = inner
        self.allow = allow

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            if self.allow <= 0:
                raise httpx.ConnectError("connection reset", request=request)
            self.allow -= 1
        return self.inner.handle_request(request)


def directory_stub(
    persons: dict[str, tuple[str, int | None]],
    subtrees: dict[str, list[str]],
    holders: dict[str, str] | None = None,
    matched: list[list[str]] | None = None,
) -> FastAPI:
    """The directory reads training relies on, answering from dicts: `holders` maps
    a national ID to its holder's personnel id, and `matched` collects the numbers
    of each match call. Numbers are checked with the directory's own rules."""
    from services.directory.domain import national_id

    app = FastAPI()
    holders = {} if holders is None else holders
    matched = [] if matched is None else matched

    @app.post("/persons/match")
    def match(body: dict[str, Any]) -> Any:
        numbers = body["national_ids"]
        assert body["purpose"] and len(numbers) == len(set(numbers))
        matched.append(numbers)
        results: list[dict[str, Any]] = []
        for index, raw in enumerate(numbers):
            try:
                number = national_id.validate(raw)
            except national_id.InvalidNationalId as exc:
                results.append({"index": index, "status": "invalid", "reason": str(exc)})
                continue
            holder = holders.get(number)
            status = "not_found" if holder is None else "found"
            results.append({"index": index, "status": status, "person_id": holder})
        return {"results": results}

    @app.post("/persons/import-matches")
    def import_matches(body: dict[str, Any]) -> Any:
        # As the directory answers training's own account: within the agencies named.
        agencies = set(body["agencies"])
        assert body["importer"] and body["import_job"] and agencies
        numbers = body["national_ids"]
        results = (
            match({"purpose": body["purpose"], "national_ids": numbers})["results"]
            if numbers
            else []
        )
        for result in results:
            holder = result.get("person_id")
            if holder is not None and persons.get(holder, ("", None))[0] not in agencies:
                result.update(status="not_found", person_id=None)
        found = [
            {"id": p, "agency_code": persons[p][0], "unit_id": persons[p][1]}
            for p in body["person_ids"]
            if p in persons and persons[p][0] in agencies
        ]
        return {"results": results, "persons": found}

    @app.get("/persons")
    def list_persons(agency: str, status: str, limit: int, cursor: str = "") -> Any:
        # Everyone in the dict is in service; pages ordered by id, cursor = last id.
        assert status == "active"
        ids = sorted(p for p, (code, _) in persons.items() if code == agency and p > cursor)
        page = ids[:limit]
        items = [
            {"id": p, "agency_code": agency, "unit_id": persons[p][1], "status": "active"}
            for p in page
        ]
        more = len(ids) > limit
        return {"items": items, "next_cursor": page[-1] if more else None, "limit": limit}

    @app.get("/persons/{person_id}")
    def person(person_id: str) -> Any:
        if person_id not in persons:
            from fastapi.responses import JSONResponse

            return JSONResponse({"detail": "no such person"}, status_code=404)
        agency, unit = persons[person_id]
        return {"id": person_id, "agency_code": agency, "unit_id": unit, "name": "x"}

    @app.get("/agencies/{code}/subtree")
    def subtree(code: str) -> Any:
        return {"codes": subtrees.get(code, [code])}

    return app


class PeerWiring:
    """What the training app's peer clients reach; tests change it per case."""

    def __init__(self, client: Callable[[str], TestClient], internal_token: Callable[..., str]):
        self.transports: dict[str, httpx.BaseTransport] = {
            "speakers": client("speakers")._transport,
        }
        self.persons: dict[str, tuple[str, int | None]] = {}
        self.subtrees: dict[str, list[str]] = {}
        # National ID -> personnel id, and the numbers each match call sent.
        self.holders: dict[str, str] = {}
        self.matched: list[list[str]] = []
        self.directory_calls = 0
        stub = TestClient(directory_stub(self.persons, self.subtrees, self.holders, self.matched))
        inner = stub._transport
        wiring = self

        class Counting(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                wiring.directory_calls += 1
                return inner.handle_request(request)

        self.transports["directory"] = Counting()
        self.principal: dict[str, Any] = {}
        self._mint = internal_token

    def job_directory_peer(self, _settings: Any) -> PeerClient:
        """How a queued import reaches the directory: as training's own account."""
        service = {"sub": "svc.training", "kind": "service", "permissions": []}
        return PeerClient(
            "directory",
            "http://directory",
            lambda peer: self._mint(peer, **service),
            transport=self.transports["directory"],
        )

    def tokens(self, peer: str) -> str:
        # The exchange carries the caller's principal to the peer.
        return self._mint(peer, **self.principal)

    def peers(self) -> Iterator[Peers]:
        peers = Peers(
            {"speakers": "http://speakers", "directory": "http://directory"},
            self.tokens,
            self.transports,
        )
        try:
            yield peers
        finally:
            peers.close()


@pytest.fixture
def wiring(apps, client, internal_token) -> Iterator[PeerWiring]:
    wired = PeerWiring(client, internal_token)
    app = apps["training"]
    app.dependency_overrides[peer_clients] = wired.peers
    kept = clients.job_directory_peer
    clients.job_directory_peer = wired.job_directory_peer
    yield wired
    clients.job_directory_peer = kept
    app.dependency_overrides.pop(peer_clients, None)


@pytest.fixture
def call(client, internal_token, wiring):
    """call(method, path, principal, **httpx kwargs) against the training app."""

    def run(method: str, path: str, principal: dict | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if principal is not None:
            wiring.principal = principal
            headers["Authorization"] = f"Bearer {internal_token('training', **principal)}"
        return client("training").request(method, path, headers=headers, **kwargs)

    return run


@pytest.fixture
def ready(call, wiring) -> PeerWiring:
    """A category C01 and three persons the directory knows (for the imports)."""
    from tests.training.builders import category

    category(call)
    wiring.persons.update({"P001": ("A01", 11), "P002": ("A01", 12), "P003": ("B01", None)})
    return wiring


@pytest.fixture
def speakers_call(client, internal_token):
    def run(method: str, path: str, principal: dict, **kwargs):
        token = internal_token("speakers", **principal)
        return client("speakers").request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )

    return run
