"""The request path through the gateway, counted at the upstream."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.gateway.harness import account, build

AUDIT = "/api/training/audit/personal-data-reads"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_authorised_request_reaches_the_service_with_an_internal_principal(gw):
    response = gw.client.get(AUDIT + "?limit=5", headers=bearer(gw.token()))
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "service": "training"}
    assert gw.recorder.count == 1
    seen = gw.recorder.requests[0]
    assert seen["path"] == "/audit/personal-data-reads"
    assert seen["query"] == "limit=5"
    assert seen["principal"].sub == "alice"
    assert seen["principal"].person_id == "P-alice"
    assert "training:audit:read" in seen["principal"].permissions


def test_no_token_is_401_and_nothing_is_forwarded(gw):
    response = gw.client.get(AUDIT)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert gw.recorder.count == 0


def test_missing_permission_is_403(gw):
    gw.accounts["alice"] = account("alice", permissions=["certs:audit:read"])
    assert gw.client.get(AUDIT, headers=bearer(gw.token())).status_code == 403
    assert gw.recorder.count == 0


def test_route_without_policy_entry_is_denied(gw):
    response = gw.client.get("/api/training/not-a-route", headers=bearer(gw.token()))
    assert response.status_code == 404
    assert gw.client.post(AUDIT, headers=bearer(gw.token())).status_code == 404
    assert gw.recorder.count == 0


@pytest.mark.parametrize(
    "name",
    [
        "X-User",
        "x-user",
        "X_User",
        "X-Roles",
        "X-Permissions",
        "X-Principal",
        "X-Remote-User",
        "X-Forwarded-User",
        "X-Internal-Token",
        "X-Renshi-Principal",
        "X-Person-Id",
        "X-Agency",
    ],
)
def test_client_identity_headers_are_stripped(gw, name):
    headers = {**bearer(gw.token()), name: "system_admin"}
    assert gw.client.get(AUDIT, headers=headers).status_code == 200
    received = {k.decode().lower() for k, _v in gw.recorder.requests[0]["headers"]}
    assert name.lower() not in received
    assert name.lower().replace("_", "-") not in received
    values = [v for _k, v in gw.recorder.requests[0]["headers"]]
    assert b"system_admin" not in values


def test_only_the_internal_token_reaches_the_service(gw):
    token = gw.token()
    gw.client.get(AUDIT, headers=bearer(token))
    auth = [v for k, v in gw.recorder.requests[0]["headers"] if k == b"authorization"]
    assert len(auth) == 1 and token.encode() not in auth[0]


def test_unregistered_and_disabled_accounts_are_refused(gw):
    assert gw.client.get(AUDIT, headers=bearer(gw.token("mallory"))).status_code == 401
    gw.accounts["alice"] = account("alice", status="disabled")
    assert gw.client.get(AUDIT, headers=bearer(gw.token())).status_code == 401
    gw.accounts["bob"] = account("bob", person_status="left")
    assert gw.client.get(AUDIT, headers=bearer(gw.token("bob"))).status_code == 401
    assert gw.recorder.count == 0


def test_lifetime_over_the_human_cap_is_refused(gw):
    assert gw.client.get(AUDIT, headers=bearer(gw.token(lifetime=3601))).status_code == 401
    assert gw.recorder.count == 0


def test_source_outside_the_global_allow_list_is_refused_before_the_token(tmp_path):
    client, harness = build(tmp_path, peer="203.0.113.9")
    with client:
        response = client.get(AUDIT, headers=bearer(harness.token()))
    assert response.status_code == 403
    assert harness.recorder.count == 0


def test_machine_account_needs_its_allow_list(gw):
    gw.accounts["importer"] = account("importer", kind="machine", allowed_networks=[])
    assert (
        gw.client.get(AUDIT, headers=bearer(gw.token("importer", lifetime=600))).status_code == 403
    )
    gw.accounts["importer2"] = account(
        "importer2", kind="machine", allowed_networks=["10.9.0.0/16"]
    )
    assert (
        gw.client.get(AUDIT, headers=bearer(gw.token("importer2", lifetime=600))).status_code == 403
    )
    gw.accounts["importer3"] = account(
        "importer3", kind="machine", allowed_networks=["127.0.0.1/32"]
    )
    assert (
        gw.client.get(AUDIT, headers=bearer(gw.token("importer3", lifetime=600))).status_code == 200
    )
    assert gw.recorder.count == 1


def test_client_credentials_issue_a_machine_token(gw):
    gw.accounts["importer"] = account("importer", kind="machine", allowed_networks=["127.0.0.1/32"])
    gw.secrets["importer"] = "s3cret-value-long-enough"
    response = gw.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "importer",
            "client_secret": "s3cret-value-long-enough",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] <= 900
    assert gw.client.get(AUDIT, headers=bearer(body["access_token"])).status_code == 200
    wrong = gw.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "importer", "client_secret": "nope"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


def test_upstream_down_is_503_problem(gw):
    gw.settings.service_urls["training"] = "http://nowhere.internal"
    response = gw.client.get(AUDIT, headers=bearer(gw.token()))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


def _internal(gw, audience, principal=None):
    from gateway.keys import from_private_pem
    from services.common.internal_auth import mint_internal_token
    from services.common.principal import Principal

    keys = from_private_pem(gw.settings.internal_private_key)
    return mint_internal_token(
        principal or Principal(sub="alice", kind="human"),
        audience=audience,
        private_pem=keys.private_pem,
        kid=keys.kid,
    )


def test_token_exchange_for_an_allowed_peer_keeps_the_principal(gw):
    from gateway.keys import from_private_pem
    from services.common.internal_auth import InternalTokenVerifier

    response = gw.client.post(
        "/internal/token-exchange",
        json={"audience": "speakers"},
        headers=bearer(_internal(gw, "training")),
    )
    assert response.status_code == 200, response.text
    public = from_private_pem(gw.settings.internal_private_key).public_pem
    principal = InternalTokenVerifier(public_pem=public, audience="speakers").verify(
        response.json()["access_token"]
    )
    assert principal.sub == "alice"


def test_token_exchange_refuses_disallowed_pairs_and_external_tokens(gw):
    assert (
        gw.client.post(
            "/internal/token-exchange",
            json={"audience": "attendance"},
            headers=bearer(_internal(gw, "training")),
        ).status_code
        == 403
    )
    assert (
        gw.client.post(
            "/internal/token-exchange", json={"audience": "speakers"}, headers=bearer(gw.token())
        ).status_code
        == 401
    )
    assert (
        gw.client.post("/internal/token-exchange", json={"audience": "speakers"}).status_code == 401
    )


def test_rate_limit_per_principal_answers_429_with_retry_after(tmp_path):
    client, harness = build(tmp_path, rate_limit_per_principal="3/minute")
    with client:
        statuses = [
            client.get(AUDIT, headers=bearer(harness.token())).status_code for _ in range(5)
        ]
        limited = client.get(AUDIT, headers=bearer(harness.token()))
    assert statuses == [200, 200, 200, 429, 429]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"] == "application/problem+json"
    assert harness.recorder.count == 3


def test_rate_limit_per_ip_applies_before_the_token(tmp_path):
    client, _harness = build(tmp_path, rate_limit_per_ip="2/minute")
    with client:
        statuses = [client.get(AUDIT, headers=bearer("not-a-token")).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_rate_limits_shared_through_redis(tmp_path):
    import uuid

    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not reachable on 127.0.0.1:6379 (CI starts it)")
    # Two gateway replicas sharing one Redis: the limit holds across both.
    prefix = uuid.uuid4().hex
    shared: dict[str, Any] = {
        "rate_limit_per_principal": "3/minute",
        "rate_limit_key_prefix": prefix,
        "rate_limit_storage": "redis://127.0.0.1:6379/0",
    }
    client_a, harness_a = build(tmp_path / "a", **shared)
    client_b, harness_b = build(tmp_path / "b", **shared)
    with client_a, client_b:
        a = [client_a.get(AUDIT, headers=bearer(harness_a.token())).status_code for _ in range(2)]
        b = [client_b.get(AUDIT, headers=bearer(harness_b.token())).status_code for _ in range(2)]
    assert sorted(a + b) == [200, 200, 200, 429]


def test_oversized_headers_are_431(gw):
    response = gw.client.get(AUDIT, headers={**bearer(gw.token()), "X-Big": "a" * 20_000})
    assert response.status_code == 431
    assert gw.recorder.count == 0
