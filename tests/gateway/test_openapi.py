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
    ("GET", "/readyz/services"),
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


OPEN_OPERATIONS = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/readyz/services"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/oauth/token"),
}


def test_the_token_schemes_are_declared(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    flows = schemes["oauth2"]["flows"]
    assert schemes["oauth2"]["type"] == "oauth2"
    assert flows == {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}}


def test_every_operation_says_whether_it_needs_a_token(document):
    schemes = set(document["components"]["securitySchemes"])
    for method, path, op in _operations(document):
        assert "security" in op, f"{method} {path} has no security"
        if (method, path) in OPEN_OPERATIONS:
            assert op["security"] == [], f"{method} {path} is open"
        else:
            assert op["security"], f"{method} {path} needs a token"
            assert {name for req in op["security"] for name in req} <= schemes
            assert op.get("x-renshi-permission"), f"{method} {path} declares no permission"


def test_operations_needing_a_token_are_exactly_those_with_a_permission(document):
    for method, path, op in _operations(document):
        assert bool(op["security"]) == ("x-renshi-permission" in op), f"{method} {path}"


def _is_problem(response):
    content = response["content"]
    assert list(content) == ["application/problem+json"]
    assert content["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ProblemDetails"
    }
    return True


def test_every_rate_limited_operation_declares_429_with_retry_after(document):
    limited = [
        (m, p, op)
        for m, p, op in _operations(document)
        if p.startswith("/api/") or (m, p) == ("POST", "/oauth/token")
    ]
    assert len(limited) > len(GATEWAY_OWN)
    for method, path, op in limited:
        response = op["responses"].get("429")
        assert response, f"{method} {path} lacks 429"
        assert _is_problem(response)
        assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_the_rate_limiter_spares_the_probes_keys_and_audit_query(document):
    for method, path, op in _operations(document):
        if not path.startswith("/api/") and (method, path) != ("POST", "/oauth/token"):
            assert "429" not in op["responses"], f"{method} {path}"


def test_every_forwarded_operation_with_a_body_declares_413(document):
    with_body = [
        (m, p, op) for m, p, op in _operations(document) if "requestBody" in op and p[:5] == "/api/"
    ]
    assert with_body
    for method, path, op in with_body:
        assert _is_problem(op["responses"]["413"]), f"{method} {path}"
    for method, path, op in _operations(document):
        if "requestBody" not in op:
            assert "413" not in op["responses"], f"{method} {path}"


def test_every_used_tag_is_declared_with_a_description_and_grouped_once(document):
    declared = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    used = {tag for _m, _p, op in _operations(document) for tag in op["tags"]}
    assert used == set(declared), "declared tags and used tags differ"
    assert all(text.strip() for text in declared.values()), "a tag without a description"
    grouped = [tag for group in document["x-tagGroups"] for tag in group["tags"]]
    assert sorted(grouped) == sorted(declared), "every tag in exactly one group"


def test_tags_are_grouped_by_service(document):
    for group in document["x-tagGroups"]:
        service = group["name"].split(":")[0]
        assert all(tag.split(":")[0] == service for tag in group["tags"]), group


def test_every_operation_says_who_may_call_it_and_what_it_changes(document):
    for method, path, op in _operations(document):
        text = op.get("description") or ""
        assert "**Who may call it:**" in text, f"{method} {path}"
        assert "**What it changes:**" in text, f"{method} {path}"
        family = op.get("x-renshi-permission")
        if family:
            assert f"`{family}" in text, f"{method} {path} does not name {family}"
        else:
            assert "no token is needed" in text, f"{method} {path}"
        if method == "GET":
            assert "nothing; it only reads" in text, f"{method} {path}"


def test_every_forwarded_operation_declares_503_and_504(document):
    for method, path, op in _operations(document):
        if path.startswith("/api/"):
            for status in ("503", "504"):
                content = op["responses"][status]["content"]
                assert "application/problem+json" in content, f"{method} {path} {status}"


def test_schema_titles_are_unique_so_generated_models_are_too(document):
    titles = [s.get("title", n) for n, s in document["components"]["schemas"].items()]
    duplicates = {t for t in titles if titles.count(t) > 1}
    assert not duplicates


def test_every_list_is_answered_in_the_envelope(document):
    """A bare JSON array cannot grow paging or a total later without breaking
    every client generated from it: every list answers `{items, next_cursor, …}`."""
    bare = []
    for method, path, op in _operations(document):
        for status, response in op.get("responses", {}).items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if status.startswith("2") and schema.get("type") == "array":
                bare.append(f"{method} {path} {status}")
    assert bare == []
