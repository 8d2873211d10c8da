"""A service's own account (kind service): signs in with client credentials, then
reaches exactly the operations the peer policy lists for its service, and only
when its roles grant them too."""

from __future__ import annotations

from gateway.policies.peers import PEER_CALLS, SERVICE_OPERATIONS, service_may_call
from gateway.route_policy import ROUTES
from tests.gateway.harness import account

AGENCIES = "/api/directory/agencies"
ROSTER = "/api/directory/agencies/A01/roster"
PERSONS = "/api/directory/persons"
SECRET = "svc-training-secret-long-enough"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _service(gw, name="svc.training", **fields):
    fields.setdefault("kind", "service")
    fields.setdefault("person_id", None)
    fields.setdefault("roles", ["service_training"])
    # More than its role grants today: the peer policy must still hold it back.
    fields.setdefault(
        "permissions",
        ["directory:agencies:read", "directory:persons:roster", "directory:persons:read"],
    )
    fields.setdefault("allowed_networks", ["127.0.0.1/32"])
    gw.accounts[name] = account(name, **fields)
    gw.secrets[name] = SECRET


def _token(gw, name="svc.training"):
    return gw.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": name, "client_secret": SECRET},
    )


def test_a_service_account_gets_a_token_by_client_credentials(gw):
    _service(gw)
    response = _token(gw)
    assert response.status_code == 200, response.text
    assert 0 < response.json()["expires_in"] <= gw.settings.max_token_lifetime_machine


def test_a_human_account_never_gets_one(gw):
    gw.accounts["alice"]["allowed_networks"] = ["127.0.0.1/32"]
    gw.secrets["alice"] = SECRET
    response = _token(gw, "alice")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_it_reaches_the_listed_operations_only(gw):
    _service(gw)
    token = _token(gw).json()["access_token"]
    for path in (AGENCIES, ROSTER):
        before = gw.recorder.count
        assert gw.client.get(path, headers=bearer(token)).status_code == 200, path
        assert gw.recorder.count == before + 1
        forwarded = gw.recorder.requests[-1]
        assert forwarded["principal"].sub == "svc.training"
        assert forwarded["principal"].kind == "service"
    before = gw.recorder.count
    # Its permissions would let it read persons: the peer policy does not.
    refused = gw.client.get(PERSONS, headers=bearer(token))
    assert refused.status_code == 403
    assert "peer policy" in refused.json()["detail"]
    assert gw.recorder.count == before


def test_the_roles_must_grant_the_operation_too(gw):
    _service(gw, permissions=["directory:agencies:read"])
    token = _token(gw).json()["access_token"]
    assert gw.client.get(AGENCIES, headers=bearer(token)).status_code == 200
    before = gw.recorder.count
    response = gw.client.get(ROSTER, headers=bearer(token))
    assert response.status_code == 403
    assert "directory:persons:roster" in response.json()["detail"]
    assert gw.recorder.count == before


def test_a_service_account_the_policy_does_not_name_reaches_nothing(gw):
    for name in ("svc.certs", "gateway", "jobs.training"):
        _service(gw, name)
        token = _token(gw, name).json()["access_token"]
        before = gw.recorder.count
        assert gw.client.get(AGENCIES, headers=bearer(token)).status_code == 403, name
        assert gw.recorder.count == before


def test_a_service_account_needs_an_allow_list(gw):
    _service(gw, allowed_networks=[])
    response = _token(gw)
    assert response.status_code == 403
    assert "allow-list" in response.json()["detail"]
    _service(gw, allowed_networks=["10.9.0.0/16"])  # not this host
    assert _token(gw).status_code == 403


def test_the_peer_policy_names_real_operations_of_peers_it_may_call():
    for service, operations in SERVICE_OPERATIONS.items():
        for method, template in operations:
            assert (method, template) in ROUTES, (service, method, template)
            peer = template.split("/")[2]
            assert peer in PEER_CALLS[service], (service, template)
            assert service_may_call(f"svc.{service}", method, template)
    assert not service_may_call("svc.training", "GET", "/api/directory/persons")
    assert not service_may_call("training", "GET", "/api/directory/agencies")
    assert not service_may_call("svc.", "GET", "/api/directory/agencies")


AI_HOURS = "/api/training/ai-hours"


def test_the_ai_hours_feed_is_for_the_certs_account_alone(gw):
    _service(gw, "svc.certs", roles=["service_certs"], permissions=["training:ai_hours:read"])
    token = _token(gw, "svc.certs").json()["access_token"]
    before = gw.recorder.count
    assert gw.client.get(AI_HOURS, headers=bearer(token)).status_code == 200
    assert gw.recorder.count == before + 1
    assert gw.recorder.requests[-1]["principal"].sub == "svc.certs"
    # Another service holding the permission: the peer policy holds it back.
    _service(gw, "svc.training", permissions=["training:ai_hours:read"])
    other = _token(gw, "svc.training").json()["access_token"]
    refused = gw.client.get(AI_HOURS, headers=bearer(other))
    assert refused.status_code == 403 and "peer policy" in refused.json()["detail"]
    # A person: no human role grants it.
    human = gw.client.get(AI_HOURS, headers=bearer(gw.token("alice")))
    assert human.status_code == 403 and "training:ai_hours:read" in human.json()["detail"]
    assert gw.recorder.count == before + 1


def test_one_persons_ai_hours_are_for_the_certs_account_alone(gw):
    path = f"{AI_HOURS}/persons/P001?year=2026"
    _service(gw, "svc.certs", roles=["service_certs"], permissions=["training:ai_hours:read"])
    token = _token(gw, "svc.certs").json()["access_token"]
    before = gw.recorder.count
    assert gw.client.get(path, headers=bearer(token)).status_code == 200
    assert gw.recorder.count == before + 1
    _service(gw, "svc.training", permissions=["training:ai_hours:read"])
    other = _token(gw, "svc.training").json()["access_token"]
    refused = gw.client.get(path, headers=bearer(other))
    assert refused.status_code == 403 and "peer policy" in refused.json()["detail"]
    assert gw.recorder.count == before + 1
