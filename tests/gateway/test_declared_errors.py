"""The merged OpenAPI document declares the errors the code can answer.

409: every operation whose code can raise a conflict declares it. Which code can
is read from the source: the endpoint, its dependencies and every function of
renshi they call (resolved through the module's names: `store.create_unit(...)`,
`_set_national_id(...)`), transitively, looking for `raise Conflict(...)` (or a
subclass) or `raise Problem(..., status=409)`. Calls on objects the source does
not name (a method of an instance) are not followed, so this finds at least the
conflicts of plain functions, which is how the routers and stores are written.

415: every public operation declares it, since any JSON body that is not UTF-8
is refused whatever the route.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
import types
from collections.abc import Iterator
from typing import Any, cast

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import SERVICES, GatewaySettings
from services.common.errors import Conflict, Problem

PROBLEM = "application/problem+json"
# Declared by the work on comp-leave cancellation, which changes what it answers.


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict[str, Any]:
    app = create_app(GatewaySettings(keys_dir=tmp_path_factory.mktemp("keys"), environment="test"))
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _service_routes() -> Iterator[tuple[str, str, APIRoute]]:
    """(METHOD, public path, route) of every documented operation of every service."""
    for service in SERVICES:
        settings_cls = getattr(
            importlib.import_module(f"services.{service}.settings"),
            f"{service.capitalize()}Settings",
        )
        app = importlib.import_module(f"services.{service}.app").create_app(
            settings_cls(database_url="sqlite://", environment="test", internal_public_key="")
        )
        for router in app.state.routers:
            for route in router.routes:
                if isinstance(route, APIRoute) and route.include_in_schema:
                    for method in sorted(route.methods or ()):
                        yield method, f"/api/{service}{route.path}", route
        app.state.engine.dispose()


def _resolve(node: ast.expr, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, names)
        return None if base is None else getattr(base, node.attr, None)
    return None


def _is_conflict(raised: ast.expr, names: dict[str, Any]) -> bool:
    call = raised if isinstance(raised, ast.Call) else None
    target = _resolve(call.func if call else raised, names)
    if not (isinstance(target, type) and issubclass(target, Problem)):
        return False
    if issubclass(target, Conflict):
        return True
    return call is not None and any(
        kw.arg == "status" and isinstance(kw.value, ast.Constant) and kw.value.value == 409
        for kw in call.keywords
    )


def _can_conflict(func: Any, seen: set[Any]) -> bool:
    if isinstance(func, type):
        func = cast(Any, func).__init__
    func = inspect.unwrap(func)
    if func in seen or not isinstance(func, types.FunctionType):
        return False
    seen.add(func)
    if not func.__module__.startswith("services."):
        return False
    try:
        source = inspect.getsource(func)
    except OSError:
        return False  # generated code (a dataclass's __init__) raises nothing of ours
    tree = ast.parse(textwrap.dedent(source))
    names = func.__globals__
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None and _is_conflict(node.exc, names):
            return True
        if isinstance(node, ast.Call):
            callee = _resolve(node.func, names)
            if callee is not None and _can_conflict(callee, seen):
                return True
    return False


def _dependencies(route: APIRoute) -> Iterator[Any]:
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if dependant.call is not None:
            yield dependant.call
        stack.extend(dependant.dependencies)


def _conflicting_operations() -> set[tuple[str, str]]:
    found = set()
    for method, path, route in _service_routes():
        calls = [route.endpoint, *_dependencies(route)]
        if any(_can_conflict(call, set()) for call in calls):
            found.add((method, path))
    return found


def test_the_walk_finds_the_known_conflicts() -> None:
    # A sample the walk must find, or it has stopped looking.
    assert {
        ("POST", "/api/directory/persons"),
        ("PATCH", "/api/directory/persons/{person_id}"),
        ("POST", "/api/directory/agencies"),
        ("POST", "/api/directory/agencies/{code}/units"),
    } <= _conflicting_operations()


def test_every_operation_that_can_conflict_declares_409(document) -> None:
    missing = []
    for method, path in sorted(_conflicting_operations()):
        responses = document["paths"][path][method.lower()]["responses"]
        if "409" not in responses:
            missing.append(f"{method} {path}")
        elif set(responses["409"].get("content", {})) != {PROBLEM}:
            missing.append(f"{method} {path} (409 not problem+json only)")
    assert not missing, "\n".join(missing)


def test_every_public_operation_declares_415_for_a_json_body_not_in_utf8(document) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/")
        and PROBLEM not in op["responses"].get("415", {}).get("content", {})
    ]
    assert not missing, "\n".join(missing)
