"""Every refusal the gateway makes has its audit row, wherever it is made: the
layers in front of the proxy (header size, source address), the gateway's own
routes and its 404 for paths that are not operations (`//api/...` included),
as well as the proxy itself."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.gateway.harness import Harness, account, build
from tests.gateway.test_audit import flush, rows_for

AUDIT = "/api/training/audit/personal-data-reads"


def _request(
    gw: Harness, method: str, path: str, *, client: Any = None, **kwargs: Any
) -> tuple[str, Any]:
    rid = f"refusal-{uuid.uuid4().hex}"
    headers = {"X-Request-ID": rid, **kwargs.pop("headers", {})}
    response = (client or gw.client).request(method, path, headers=headers, **kwargs)
    return rid, response


def _one_row(gw: Harness, rid: str, status: int, *, decision: str = "deny") -> dict[str, Any]:
    flush(gw)
    rows = rows_for(rid)
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["decision"], row["status"]) == (decision, status)
    assert row["at"] is not None and row["latency_ms"] >= 0
    return row


CASES: list[tuple[str, str, dict[str, Any], int]] = [
    # The gateway's own 404s: not an operation, whatever the spelling.
    ("GET", "//api/training/audit/personal-data-reads", {}, 404),
    ("GET", "//", {}, 404),
    ("GET", "/nothing/here", {}, 404),
    ("GET", "/api", {}, 404),
    # A gateway route with the wrong method.
    ("POST", "/healthz", {}, 405),
    ("DELETE", "/oauth/token", {}, 405),
    # Refused before any token work: header size.
    ("GET", AUDIT, {"headers": {"X-Padding": "x" * 20_000}}, 431),
    # The proxy's refusals (its own rows; here for completeness).
    ("GET", "/api/training/%2e%2e/audit", {}, 400),
    ("GET", AUDIT, {}, 401),
    ("GET", "/api/training/nothing", {}, 404),
    # Token endpoints.
    ("POST", "/oauth/token", {"data": {"client_id": "x"}}, 422),
    (
        "POST",
        "/oauth/token",
        {"data": {"grant_type": "password", "client_id": "x", "client_secret": "y"}},
        400,
    ),
    (
        "POST",
        "/oauth/token",
        {
            "data": {
                "grant_type": "client_credentials",
                "client_id": "nobody",
                "client_secret": "wrong",
            }
        },
        401,
    ),
    ("POST", "/internal/token-exchange", {"json": {"audience": "directory"}}, 401),
    ("GET", "/audit/decisions", {}, 401),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), CASES)
def test_each_refusal_has_one_audit_row(gw, method, path, kwargs, status):
    rid, response = _request(gw, method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    row = _one_row(gw, rid, status)
    assert row["method"] == method
    assert row["source_ip"] == "127.0.0.1"
    # The row names no path the caller made up, only a route the gateway knows.
    assert row["route"] is None or not row["route"].startswith("//")


def test_the_route_is_named_when_the_gateway_knows_it(gw):
    rid, _ = _request(gw, "POST", "/oauth/token", data={"client_id": "x"})
    assert _one_row(gw, rid, 422)["route"] == "/oauth/token"
    rid, _ = _request(gw, "GET", "//api/training/audit/personal-data-reads")
    assert _one_row(gw, rid, 404)["route"] is None


def test_a_source_address_off_the_allow_list_has_its_row(tmp_path):
    client, harness = build(tmp_path, peer="198.51.100.7")
    with client:
        rid, response = _request(harness, "GET", AUDIT)
        assert response.status_code == 403
        row = _one_row(harness, rid, 403)
    assert row["source_ip"] == "198.51.100.7"


def test_a_malformed_forwarded_address_has_its_row(tmp_path):
    client, harness = build(tmp_path, peer="10.0.0.5", trusted_proxies=["10.0.0.0/24"])
    with client:
        rid, response = _request(harness, "GET", AUDIT, headers={"X-Forwarded-For": "not-an-ip"})
        assert response.status_code == 403
        row = _one_row(harness, rid, 403)
    # The address the gateway saw, since the claimed one is not an address.
    assert row["source_ip"] == "10.0.0.5"


def test_a_token_issued_is_an_allowed_decision_with_its_subject(gw):
    gw.accounts["importer"] = account("importer", kind="machine", allowed_networks=["127.0.0.1/32"])
    gw.secrets["importer"] = "s3cret-value-long-enough"
    rid, response = _request(
        gw,
        "POST",
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "importer",
            "client_secret": "s3cret-value-long-enough",
        },
    )
    assert response.status_code == 200, response.text
    row = _one_row(gw, rid, 200, decision="allow")
    assert (row["subject"], row["account_kind"], row["route"]) == (
        "importer",
        "machine",
        "/oauth/token",
    )


def test_open_probes_and_documents_are_not_decisions(gw):
    # Liveness and the public keys are served to anyone: nothing is decided.
    for path in ("/healthz", "/.well-known/jwks.json"):
        rid, response = _request(gw, "GET", path)
        assert response.status_code == 200
        flush(gw)
        assert rows_for(rid) == []


def test_an_allowed_request_still_has_exactly_one_row(gw):
    rid, response = _request(gw, "GET", AUDIT, headers={"Authorization": f"Bearer {gw.token()}"})
    assert response.status_code == 200
    assert _one_row(gw, rid, 200, decision="allow")["route"] == AUDIT
