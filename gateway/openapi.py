"""One OpenAPI 3.1 document for every public operation, under the gateway's
paths, merged from the services' own documents as snapshotted in
`gateway/service_documents/` (written by `renshi openapi build`)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from gateway.settings import SERVICES
from services.common.errors import PROBLEM_MEDIA_TYPE
from services.common.permissions import PERMISSION_KEY

_REF = "#/components/schemas/"
PROBLEM_SCHEMA = f"{_REF}ProblemDetails"
TOKEN_URL = "/oauth/token"  # noqa: S105 - a path, not a secret
SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from /oauth/token (or the sign-in of a person).",
    },
    "oauth2": {
        "type": "oauth2",
        "description": "Client credentials of a machine or service account.",
        "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": {}}},
    },
}
# Either scheme gives the same bearer token.
TOKEN_REQUIRED: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"oauth2": []}]
# The gateway's own operations the rate limiter counts (per client address);
# every forwarded operation is counted too (per address and per principal).
RATE_LIMITED_OWN = frozenset({("post", TOKEN_URL)})
SNAPSHOT_DIR = Path(__file__).parent / "service_documents"
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


@cache
def service_documents() -> dict[str, dict[str, Any]]:
    """Each service's document, read once from its snapshot."""
    return {
        service: json.loads((SNAPSHOT_DIR / f"{service}.json").read_text(encoding="utf-8"))
        for service in SERVICES
    }


def _public_operations_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """path → {method: operation}, probes left out (they are never forwarded)."""
    out: dict[str, dict[str, Any]] = {}
    for path, item in document.get("paths", {}).items():
        operations = {
            method: op
            for method, op in item.items()
            if method in METHODS and "probes" not in op.get("tags", [])
        }
        if operations:
            out[path] = operations
    return out


def route_permissions(documents: dict[str, dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(METHOD, public path template) → the permission family the service
    declared for it. An operation without a declaration is an error: the
    services refuse to build one, so a snapshot holding one was edited."""
    routes: dict[tuple[str, str], str] = {}
    for service, document in documents.items():
        for path, operations in _public_operations_of(document).items():
            for method, op in operations.items():
                family = op.get(PERMISSION_KEY)
                if not isinstance(family, str) or not family:
                    raise ValueError(f"{service}: {method.upper()} {path} declares no permission")
                routes[(method.upper(), f"/api/{service}{path}")] = family
    return routes


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if not renames:
        return node
    text = json.dumps(node)
    for old, new in renames.items():
        text = text.replace(f'"{_REF}{old}"', f'"{_REF}{new}"')
    return json.loads(text)


def _problem_only(responses: dict[str, Any]) -> None:
    """Error responses are problem+json only; FastAPI adds a JSON twin we drop."""
    for status, response in responses.items():
        content = response.get("content", {})
        if status[:1] in "45" and PROBLEM_MEDIA_TYPE in content:
            content.pop("application/json", None)


WHO = "**Who may call it:**"


def _describe_own(path: str, method: str, op: dict[str, Any]) -> None:
    """The gateway's own operations say who may call them and what they change,
    as the services' do (theirs is written by `stamp_permissions`)."""
    own = (op.get("description") or "").strip()
    if WHO in own:
        return
    family = op.get(PERMISSION_KEY)
    who = f"holders of `{family}`." if isinstance(family, str) else "anyone; no token is needed."
    if method in {"get", "head"}:
        changes = "nothing; it only reads."
    else:
        changes = f"{op.get('summary') or path}."
    op["description"] = "\n\n".join(
        [*([own] if own else []), f"{WHO} {who}", f"**What it changes:** {changes}"]
    )


def _declared_tags(document: dict[str, Any]) -> dict[str, str]:
    return {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}


def merge(gateway_document: dict[str, Any], documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The gateway's own operations and every service's public ones, under
    `/api/<service>`. Tags become `<service>: <tag>`, each declared with the
    service's description of it and grouped by service (`x-tagGroups`, which
    ReDoc shows as sections); a schema name two services both use is prefixed
    with the service, in its title too (generators name models by title)."""
    merged = copy.deepcopy(gateway_document)
    merged["openapi"] = "3.1.0"
    for own_path, own_item in merged.get("paths", {}).items():
        for method, op in own_item.items():
            if method in METHODS:
                _describe_own(own_path, method, op)
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    paths: dict[str, Any] = merged.setdefault("paths", {})
    own_tags = _declared_tags(merged)
    tags: list[dict[str, Any]] = [{"name": n, "description": d} for n, d in own_tags.items()]
    groups: list[dict[str, Any]] = [{"name": "gateway", "tags": list(own_tags)}] if tags else []
    for service, document in documents.items():
        renames: dict[str, str] = {}
        own = document.get("components", {}).get("schemas", {})
        for name, schema in own.items():
            if name in schemas and schemas[name] != _rename_refs(schema, {}):
                renames[name] = f"{service.capitalize()}{name}"
        own = _rename_refs(own, renames)
        for name, schema in own.items():
            if name in renames:
                schema = {**schema, "title": renames[name]}
            schemas[renames.get(name, name)] = schema
        renamed = _rename_refs(copy.deepcopy(document), renames)
        used: list[str] = []
        for path, operations in _public_operations_of(renamed).items():
            for op in operations.values():
                op["tags"] = [f"{service}: {tag}" for tag in op.get("tags", [])] or [service]
                used.extend(tag for tag in op["tags"] if tag not in used)
                _problem_only(op.get("responses", {}))
            paths[f"/api/{service}{path}"] = operations
        described = {f"{service}: {name}": text for name, text in _declared_tags(document).items()}
        # In the service's declared order; one it forgot to describe still shows.
        ordered = [name for name in described if name in used]
        ordered += [name for name in used if name not in described]
        tags.extend({"name": name, "description": described.get(name, "")} for name in ordered)
        title = document.get("info", {}).get("title", service).removeprefix("renshi ")
        groups.append({"name": f"{service}: {title}", "tags": ordered})
    for item in paths.values():
        for op in item.values():
            if isinstance(op, dict):
                _problem_only(op.get("responses", {}))
    merged["tags"] = tags
    merged["x-tagGroups"] = groups
    _declare_security_and_limits(merged)
    return merged


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA}}},
    }
    if headers:
        response["headers"] = headers
    return response


TOO_MANY_REQUESTS = _problem(
    "Rate limit exceeded; retry after the given number of seconds",
    {
        "Retry-After": {
            "description": "Seconds until the limit resets",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
)
PAYLOAD_TOO_LARGE = _problem("Request body too large")
UNSUPPORTED_MEDIA_TYPE = _problem(
    "Body not in a media type (or charset) the operation reads; JSON must be UTF-8"
)
SERVICE_UNAVAILABLE = _problem("The service behind the gateway is unreachable; retry later")
GATEWAY_TIMEOUT = _problem("The service behind the gateway did not answer in time")


def _declare_security_and_limits(merged: dict[str, Any]) -> None:
    """The token schemes; on each operation whether it needs a token (it does
    exactly when it declares a permission), and the refusals that can come in
    front of it: 429 from the rate limiter, 413 for a forwarded body too large,
    415 for a body of the wrong type or charset, 503/504 when the service is
    down or slow."""
    components = merged.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(copy.deepcopy(SECURITY_SCHEMES))
    for path, item in merged.get("paths", {}).items():
        forwarded = path.startswith("/api/")
        for method, op in item.items():
            if method not in METHODS or not isinstance(op, dict):
                continue
            needs_token = isinstance(op.get(PERMISSION_KEY), str)
            op["security"] = copy.deepcopy(TOKEN_REQUIRED) if needs_token else []
            responses = op.setdefault("responses", {})
            if forwarded or (method, path) in RATE_LIMITED_OWN:
                responses.setdefault("429", copy.deepcopy(TOO_MANY_REQUESTS))
            if forwarded and "requestBody" in op:
                responses.setdefault("413", copy.deepcopy(PAYLOAD_TOO_LARGE))
                responses.setdefault("415", copy.deepcopy(UNSUPPORTED_MEDIA_TYPE))
            if forwarded:
                responses.setdefault("503", copy.deepcopy(SERVICE_UNAVAILABLE))
                responses.setdefault("504", copy.deepcopy(GATEWAY_TIMEOUT))


def public_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path template) of every operation in a document."""
    return {
        (method.upper(), path)
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in METHODS
    }
