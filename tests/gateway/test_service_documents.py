"""The gateway's picture of the services is their own: the snapshots it reads
are what the services build today, and every route declares its permission
once, on the route itself."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from gateway.openapi import SNAPSHOT_DIR, route_permissions, service_documents
from gateway.route_policy import ROUTES
from gateway.settings import SERVICES
from renshi.service_documents import build_document, render
from services.common.errors import install_error_handlers
from services.common.internal_auth import get_principal
from services.common.permissions import (
    PERMISSION_KEY,
    require,
    require_qualified,
    stamp_permissions,
)
from services.common.principal import Principal


@pytest.mark.parametrize("service", SERVICES)
def test_snapshot_is_what_the_service_builds(service: str) -> None:
    on_disk = (SNAPSHOT_DIR / f"{service}.json").read_text(encoding="utf-8")
    assert on_disk == render(build_document(service)), (
        f"gateway/service_documents/{service}.json is stale: run `renshi openapi build`"
    )


def test_route_table_is_read_from_the_declarations() -> None:
    documents = service_documents()
    declared = {
        (method.upper(), f"/api/{service}{path}"): op[PERMISSION_KEY]
        for service, document in documents.items()
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "probes" not in op.get("tags", [])
    }
    assert declared == ROUTES
    assert ROUTES[("GET", "/api/training/records")] == "training:records:read"
    assert ROUTES[("POST", "/api/training/imports")] == "training:imports"


def test_a_snapshot_operation_without_a_permission_is_refused() -> None:
    document = {"paths": {"/things": {"get": {"tags": ["things"], "responses": {}}}}}
    with pytest.raises(ValueError, match="declares no permission"):
        route_permissions({"demo": document})


def test_service_only_routes_stay_out_of_the_table() -> None:
    assert not [t for _m, t in ROUTES if t.startswith("/api/directory/principals")]
    assert not [t for _m, t in ROUTES if t.endswith("/persons/match")]


def _app(router: APIRouter, principal: Principal) -> TestClient:
    stamp_permissions(router)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.dependency_overrides[get_principal] = lambda: principal
    return TestClient(app, raise_server_exceptions=False)


def test_require_accepts_the_family_or_a_listed_scope_only() -> None:
    router = APIRouter()

    @router.get("/things")
    def things(_p: Principal = Depends(require("demo:things:read", "agency"))) -> dict[str, str]:
        return {"ok": "yes"}

    def status(*permissions: str) -> int:
        principal = Principal(sub="x", kind="human", permissions=list(permissions))
        return _app(router, principal).get("/things").status_code

    assert status("demo:things:read") == 200
    assert status("demo:things:read:agency") == 200
    assert status("demo:things:read:self") == 403
    assert status("demo:things:write") == 403
    client = _app(router, Principal(sub="x", kind="human"))
    assert client.app.openapi()["paths"]["/things"]["get"][PERMISSION_KEY] == "demo:things:read"  # type: ignore[attr-defined]


def test_require_qualified_needs_a_bound_grant() -> None:
    router = APIRouter()

    @router.post("/imports")
    def imports(_p: Principal = Depends(require_qualified("demo:imports", "source"))) -> None:
        return None

    def call(*permissions: str) -> tuple[int, str]:
        principal = Principal(sub="x", kind="machine", permissions=list(permissions))
        response = _app(router, principal).post("/imports")
        return response.status_code, response.text

    assert call("demo:imports:elearn")[0] == 200
    code, body = call("demo:imports")
    assert code == 403
    assert "demo:imports:<source>" in body


def test_a_public_route_without_a_declaration_refuses_to_build() -> None:
    router = APIRouter()

    @router.get("/open")
    def open_route() -> None:
        return None

    with pytest.raises(ValueError, match="no permission declared"):
        stamp_permissions(router)


def test_two_declarations_on_one_route_refuse_to_build() -> None:
    router = APIRouter()

    @router.get("/both")
    def both(
        _a: Principal = Depends(require("demo:a")), _b: Principal = Depends(require("demo:b"))
    ) -> None:
        return None

    with pytest.raises(ValueError, match="more than one permission"):
        stamp_permissions(router)
