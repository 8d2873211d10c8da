"""Where comp time may be transferred: only to an agency within the caller's
agency scope (403 naming the field otherwise, as the directory refuses the same
move), and only to an agency the directory knows (422 naming the field).

A caller whose transfer grant is scoped names agencies from its own scope, which
the gateway resolved from the directory; a caller granted every agency is checked
against the directory itself, on the caller's behalf (the real directory app
here, reached in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.attendance.clients import Peers, peer_clients
from tests.attendance.builders import HR_PERMISSIONS, approved_grant, balance

# A competent authority's HR office: its own agency and the subordinate A02.
HR_A01_WITH_A02 = {
    "sub": "hr.a01.all",
    "person_id": "HR1",
    "agency_scope": ["A01", "A02"],
    "permissions": HR_PERMISSIONS,
}
# Granted transfers to every agency, and the directory's agency list.
NATIONAL = {
    "sub": "dgpa.transfers",
    "person_id": "HR0",
    "agency_scope": [],
    "permissions": [
        "attendance:comp:transfer",
        "attendance:records:read",
        "directory:agencies:read",
    ],
}
DIRECTORY_ADMIN = {"sub": "admin", "permissions": ["directory:agencies:write"]}


class Down(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


class DirectoryWiring:
    """What attendance's directory client reaches; counts the calls made."""

    def __init__(self, client: Any, internal_token: Any) -> None:
        self.principal: dict[str, Any] = {}
        self.calls = 0
        self.down = False
        self._mint = internal_token
        inner = client("directory")._transport
        wiring = self

        class Counting(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                wiring.calls += 1
                if wiring.down:
                    return Down().handle_request(request)
                return inner.handle_request(request)

        self.transport = Counting()

    def tokens(self, peer: str) -> str:
        # The gateway's exchange carries the caller's principal to the peer.
        return self._mint(peer, **self.principal)

    def peers(self) -> Iterator[Peers]:
        peers = Peers({"directory": "http://directory"}, self.tokens, {"directory": self.transport})
        try:
            yield peers
        finally:
            peers.close()


@pytest.fixture
def directory(apps, client, internal_token) -> Iterator[DirectoryWiring]:
    wired = DirectoryWiring(client, internal_token)
    app = apps["attendance"]
    app.dependency_overrides[peer_clients] = wired.peers
    admin = {"Authorization": f"Bearer {internal_token('directory', **DIRECTORY_ADMIN)}"}
    for code, parent in (("A01", None), ("A02", "A01")):
        body = {"code": code, "name": f"Agency {code}", "type": "subordinate"}
        if parent:
            body["parent_code"] = parent
        created = client("directory").post("/agencies", json=body, headers=admin)
        assert created.status_code == 201, created.text
    yield wired
    app.dependency_overrides.pop(peer_clients, None)


def _transfer(api, internal_token, principal, to_agency: str, directory=None):
    if directory is not None:
        directory.principal = principal
    headers = {"Authorization": f"Bearer {internal_token('attendance', **principal)}"}
    return api.post(
        "/persons/E1/comp-time/transfer",
        json={"to_agency": to_agency, "on": "2023-07-01"},
        headers=headers,
    )


def _field_error(response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["body.to_agency"]
    return errors[0]


def test_transfer_outside_the_callers_scope_is_403_naming_the_field(
    api, actors, roster, internal_token, directory
):
    approved_grant(api, actors, "2023-02-01", 120)
    before = balance(api, actors)
    # hr.a01 holds A01 alone: A02 is real, but not theirs to move staff into.
    response = api.post(
        "/persons/E1/comp-time/transfer", json={"to_agency": "A02"}, headers=actors.hr
    )
    assert response.status_code == 403, response.text
    error = _field_error(response)
    assert error["code"] == "out_of_scope"
    assert "A02" not in response.text
    # Nothing moved: the caller still reaches the person, with the same balance.
    assert balance(api, actors) == before
    assert directory.calls == 0


def test_transfer_to_an_invented_agency_is_refused_and_moves_nothing(
    api, actors, roster, internal_token, directory
):
    approved_grant(api, actors, "2023-02-01", 120)
    before = balance(api, actors)
    response = _transfer(api, internal_token, HR_A01_WITH_A02, "NOWHERE", directory)
    assert response.status_code == 403, response.text
    _field_error(response)
    assert "NOWHERE" not in response.text
    assert balance(api, actors) == before


def test_transfer_within_scope_moves_the_person_who_stays_in_reach(
    api, actors, roster, internal_token, directory
):
    approved_grant(api, actors, "2023-02-01", 120)
    response = _transfer(api, internal_token, HR_A01_WITH_A02, "A02", directory)
    assert response.status_code == 200, response.text
    assert response.json()["agency_code"] == "A02"
    # The scope in the token is the directory's own answer: no call was needed.
    assert directory.calls == 0
    headers = {"Authorization": f"Bearer {internal_token('attendance', **HR_A01_WITH_A02)}"}
    assert api.get("/persons/E1/comp-time", headers=headers).status_code == 200


def test_unscoped_transfer_to_an_agency_the_directory_does_not_know_is_422(
    api, actors, roster, internal_token, directory
):
    approved_grant(api, actors, "2023-02-01", 120)
    before = balance(api, actors)
    response = _transfer(api, internal_token, NATIONAL, "ZZ99", directory)
    assert response.status_code == 422, response.text
    error = _field_error(response)
    assert error["code"] == "unknown_agency"
    assert "ZZ99" not in response.text
    assert directory.calls == 1
    assert balance(api, actors) == before


def test_unscoped_transfer_to_a_known_agency_asks_the_directory_and_moves(
    api, actors, roster, internal_token, directory
):
    approved_grant(api, actors, "2023-02-01", 120)
    response = _transfer(api, internal_token, NATIONAL, "A02", directory)
    assert response.status_code == 200, response.text
    assert response.json()["agency_code"] == "A02"
    assert directory.calls == 1


def test_unscoped_transfer_while_the_directory_is_down_is_503_and_moves_nothing(
    api, actors, roster, internal_token, directory
):
    approved_grant(api, actors, "2023-02-01", 120)
    before = balance(api, actors)
    directory.down = True
    response = _transfer(api, internal_token, NATIONAL, "A02", directory)
    assert response.status_code == 503, response.text
    assert balance(api, actors) == before


def test_unscoped_caller_the_directory_will_not_answer_is_403(
    api, actors, roster, internal_token, directory
):
    approved_grant(api, actors, "2023-02-01", 120)
    blind = {**NATIONAL, "permissions": ["attendance:comp:transfer", "attendance:records:read"]}
    response = _transfer(api, internal_token, blind, "A02", directory)
    assert response.status_code == 403, response.text
    assert _field_error(response)["code"] == "unconfirmed_agency"
