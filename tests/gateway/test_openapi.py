"""The merged OpenAPI document: valid, unique ids, documented errors, and one
route-policy entry for every public operation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from gateway.app import create_app
from gateway.openapi import public_operations
from gateway.route_policy import ROUTES
from gateway.settings import GatewaySettings

GATEWAY_OWN = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/oauth/token"),
    ("GET", "/audit/decisions"),
}


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    app = create_app(GatewaySettings(keys_dir=tmp_path_factory.mktemp("keys"), environment="test"))
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def test_document_is_valid_openapi_31(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_operation_ids_are_unique(document):
    ids = [op["operationId"] for _m, _p, op in _operations(document)]
    assert len(ids) == len(set(ids))
    assert all(ids)


def test_every_operation_has_summary_tags_and_problem_responses(document):
    for method, path, op in _operations(document):
        assert op.get("summary"), f"{method} {path} has no summary"
        assert op.get("tags"), f"{method} {path} has no tags"
        responses = op["responses"]
        success = [s for s in responses if s.startswith("2")]
        assert success, f"{method} {path} has no success response"
        if path.startswith("/api/"):
            for status in ("401", "403", "422"):
                assert status in responses, f"{method} {path} lacks {status}"
                assert "application/problem+json" in responses[status]["content"]
                assert "application/json" not in responses[status]["content"]


def test_every_public_operation_has_exactly_one_route_entry(document):
    operations = public_operations(document)
    api_operations = {op for op in operations if op[1].startswith("/api/")}
    assert operations - api_operations == GATEWAY_OWN
    table = set(ROUTES)
    assert api_operations - table == set(), "operations without a route-policy entry"
    assert table - api_operations == set(), "route-policy entries without an operation"


def test_probes_are_not_public_operations(document):
    assert not any(
        p.endswith(("/healthz", "/readyz"))
        for _m, p, _o in _operations(document)
        if p.startswith("/api/")
    )
