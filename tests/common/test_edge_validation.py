"""Every operation of every service refuses an out-of-range integer or a forged
cursor at the edge: 422 application/problem+json naming the field, never a 500.

The operations are read from each service's OpenAPI document (the one the gateway
merges), so an operation added later is covered without touching this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.route_policy import ROUTES
from tests.common.test_cursors import raw_cursor
from tests.databases import SERVICES

# One past the largest value of a 64-bit INTEGER / BIGINT column: SQLite's driver
# raised OverflowError on it (a 500) before ids were bounded.
BIG = 2**63
# Every family the gateway grants, and an importer's grant, which names its source.
PERMISSIONS = sorted({*ROUTES.values(), "training:imports:elearn"})
# Forged cursors that no list of this API issues, whatever its key type.
FORGED_CURSORS = {
    "infinite number": "[1e999]",
    "NaN": "[NaN]",
    "nested list": "[[1]]",
    "object": '[{"id": 1}]',
    "oversized int": f"[{BIG}]",
    "boolean": "[true]",
    "empty": "[]",
    "not a list": '{"id": 1}',
}

Operation = tuple[str, str, dict[str, Any]]


def _operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method, op in item.items():
            if "probes" not in op.get("tags", []):
                yield method.upper(), path, op


def _types(schema: dict[str, Any]) -> set[str]:
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for branch in schema.get("anyOf", []):
        found |= _types(branch)
    return found


def _sample(schema: dict[str, Any]) -> str:
    """A value a parameter of this schema accepts, for the parameters not under test."""
    if "integer" in _types(schema):
        bounded = [b for b in [schema, *schema.get("anyOf", [])] if "minimum" in b]
        return str(int(bounded[0]["minimum"])) if bounded else "1"
    if schema.get("enum"):
        return str(schema["enum"][0])
    return "A01"


def _url(path: str, op: dict[str, Any], **given: Any) -> tuple[str, dict[str, Any]]:
    """The path with every path parameter filled and the required query parameters."""
    query: dict[str, Any] = {}
    for param in op.get("parameters", []):
        name, schema = param["name"], param.get("schema", {})
        value = given.get(name, _sample(schema))
        if param["in"] == "path":
            path = path.replace("{" + name + "}", str(value))
        elif param["in"] == "query" and (name in given or param.get("required")):
            query[name] = value
    return path, query


def _caller(client: Any, internal_token: Any, service: str) -> TestClient:
    api: TestClient = client(service)
    token = internal_token(
        service,
        sub="edge-tester",
        person_id="P0001",
        agency_code="A01",
        agency_scope=["A01", "A02"],
        permissions=PERMISSIONS,
    )
    api.headers["Authorization"] = f"Bearer {token}"
    return api


def _names(response: Any, field: str) -> str | None:
    """Why the response is not a 422 problem naming `field`; None when it is."""
    if response.status_code != 422:
        return f"answered {response.status_code}"
    if response.headers["content-type"] != "application/problem+json":
        return f"answered {response.headers['content-type']}"
    errors = response.json()["errors"]
    if not any(e["field"] == field and e["reason"] for e in errors):
        return f"does not name {field}: {[e['field'] for e in errors]}"
    if str(BIG) in response.text:
        return "echoes the value"
    return None


@pytest.mark.parametrize("service", SERVICES)
def test_oversized_integers_in_paths_and_queries_are_422_naming_the_parameter(
    apps, client, internal_token, service
):
    api = _caller(client, internal_token, service)
    failures, checked = [], 0
    for method, path, op in _operations(apps[service].openapi()):
        for param in op.get("parameters", []):
            if "integer" not in _types(param.get("schema", {})):
                continue
            url, query = _url(path, op, **{param["name"]: BIG})
            response = api.request(
                method, url, params=query, json={} if "requestBody" in op else None
            )
            why = _names(response, f"{param['in']}.{param['name']}")
            checked += 1
            if why:
                failures.append(f"{method} {path} {param['in']}.{param['name']}: {why}")
    assert checked or service == "certs"
    assert not failures, "\n".join(failures)


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _integer_leaves(
    document: dict[str, Any], schema: dict[str, Any], seen: frozenset[str] = frozenset()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(location, JSON value holding BIG there) for every integer a body may carry.
    Map values (additionalProperties) are not walked: none is an id."""
    ref = schema.get("$ref")
    if ref in seen:
        return
    seen = seen | {ref} if ref else seen
    schema = _resolve(document, schema)
    if "integer" in _types(schema) and "anyOf" not in schema:
        yield (), BIG
    for branch in schema.get("anyOf", []):
        yield from _integer_leaves(document, branch, seen)
    for name, prop in schema.get("properties", {}).items():
        for where, value in _integer_leaves(document, prop, seen):
            yield (name, *where), {name: value}
    if "items" in schema:
        for where, value in _integer_leaves(document, schema["items"], seen):
            yield ("0", *where), [value]


@pytest.mark.parametrize("service", SERVICES)
def test_oversized_integers_in_json_bodies_are_422_naming_the_field(
    apps, client, internal_token, service
):
    api = _caller(client, internal_token, service)
    document = apps[service].openapi()
    failures, checked = [], 0
    for method, path, op in _operations(document):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        url, query = _url(path, op)
        for where, body in _integer_leaves(document, content["application/json"]["schema"]):
            if not where:
                continue  # a bare integer body: none exists
            response = api.request(method, url, params=query, json=body)
            field = "body." + ".".join(where)
            checked += 1
            why = _names(response, field)
            if why:
                failures.append(f"{method} {path} {field}: {why}")
    assert checked or service == "certs"
    assert not failures, "\n".join(failures)


def _list_operations(document: dict[str, Any]) -> Iterator[Operation]:
    for method, path, op in _operations(document):
        if any(p["name"] == "cursor" for p in op.get("parameters", [])):
            yield method, path, op


@pytest.mark.parametrize("service", SERVICES)
def test_forged_cursors_are_422_naming_the_cursor(apps, client, internal_token, service):
    api = _caller(client, internal_token, service)
    failures, checked = [], 0
    for method, path, op in _list_operations(apps[service].openapi()):
        for label, text in FORGED_CURSORS.items():
            url, query = _url(path, op, cursor=raw_cursor(text))
            why = _names(api.request(method, url, params=query), "query.cursor")
            checked += 1
            if why:
                failures.append(f"{method} {path} cursor {label}: {why}")
    assert checked
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("service", SERVICES)
def test_a_cursor_key_of_the_wrong_type_is_422_naming_the_cursor(
    apps, client, internal_token, service
):
    """Lists are keyed by an integer id or by a code: exactly one of the two forms
    is the list's own, and the other is refused instead of reaching SQL."""
    api = _caller(client, internal_token, service)
    failures, both_tried = [], 0
    for method, path, op in _list_operations(apps[service].openapi()):
        answers = {}
        for label, text in (("integer", "[1]"), ("string", '["x"]')):
            url, query = _url(path, op, cursor=raw_cursor(text))
            answers[label] = api.request(method, url, params=query)
        statuses = sorted(r.status_code for r in answers.values())
        if statuses == [404, 404]:
            continue  # the path names an object that does not exist here
        both_tried += 1
        # A list keyed by more than one value (the lecturer search: score, day, id)
        # owns neither one-key form: both are refused, each naming the cursor.
        if statuses not in ([200, 422], [422, 422]):
            failures.append(f"{method} {path}: answered {statuses}")
            continue
        for refused in (r for r in answers.values() if r.status_code == 422):
            why = _names(refused, "query.cursor")
            if why:
                failures.append(f"{method} {path}: {why}")
    assert both_tried
    assert not failures, "\n".join(failures)
