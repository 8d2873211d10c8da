"""One OpenAPI 3.1 document for every public operation, under the gateway's paths."""

from __future__ import annotations

import copy
import importlib
import json
from typing import Any

from services.common.errors import PROBLEM_MEDIA_TYPE

_REF = "#/components/schemas/"


def service_document(service: str) -> dict[str, Any]:
    """The service's own document, built in-process from its FastAPI app (no
    database is touched: the engine connects lazily)."""
    app_module = importlib.import_module(f"services.{service}.app")
    settings_module = importlib.import_module(f"services.{service}.settings")
    settings_cls = getattr(settings_module, f"{service.capitalize()}Settings")
    app = app_module.create_app(
        settings_cls(database_url="sqlite://", environment="test", internal_public_key="")
    )
    document: dict[str, Any] = app.openapi()
    app.state.engine.dispose()
    return document


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


def merge(gateway_document: dict[str, Any], documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged = copy.deepcopy(gateway_document)
    merged["openapi"] = "3.1.0"
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    paths: dict[str, Any] = merged.setdefault("paths", {})
    tags: list[dict[str, Any]] = list(merged.get("tags", []))
    for service, document in documents.items():
        renames: dict[str, str] = {}
        own = document.get("components", {}).get("schemas", {})
        for name, schema in own.items():
            if name in schemas and schemas[name] != _rename_refs(schema, {}):
                renames[name] = f"{service.capitalize()}{name}"
        own = _rename_refs(own, renames)
        for name, schema in own.items():
            schemas[renames.get(name, name)] = schema
        for path, item in _rename_refs(document.get("paths", {}), renames).items():
            operations = {
                method: op
                for method, op in item.items()
                if isinstance(op, dict) and "probes" not in op.get("tags", [])
            }
            if not operations:
                continue
            for op in operations.values():
                op["tags"] = [f"{service}: {tag}" for tag in op.get("tags", [])] or [service]
                _problem_only(op.get("responses", {}))
            paths[f"/api/{service}{path}"] = operations
        tags.append(
            {"name": service, "description": document.get("info", {}).get("description", "")}
        )
    for item in paths.values():
        for op in item.values():
            if isinstance(op, dict):
                _problem_only(op.get("responses", {}))
    merged["tags"] = tags
    return merged


def public_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path template) of every operation in a document."""
    return {
        (method.upper(), path)
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch", "head", "options"}
    }
