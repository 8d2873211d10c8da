"""Every error is application/problem+json, without stack traces or personal data."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Body
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from services.common.app import build_service_app
from services.training.settings import TrainingSettings

NATIONAL_ID = "A123456789"


class Payload(BaseModel):
    hours: Annotated[float, Field(ge=0, le=24)]
    national_id: str


def _app(service_urls, internal_keys):
    # Not a public operation: it needs no declared permission.
    router = APIRouter(prefix="/probe", tags=["probe"], include_in_schema=False)

    @router.post("/echo", summary="Echo")
    def echo(payload: Annotated[Payload, Body()]) -> dict[str, float]:
        return {"hours": payload.hours}

    @router.get("/boom", summary="Fails")
    def boom() -> None:
        raise RuntimeError(f"lookup failed for {NATIONAL_ID} at /srv/secret/path.py")

    settings = TrainingSettings(
        database_url=service_urls["training"],
        environment="test",
        internal_public_key=internal_keys.public_pem,
    )
    return build_service_app(settings, [router], title="probe", description="probe")


@pytest.fixture
def probe(service_urls, internal_keys, internal_token):
    app = _app(service_urls, internal_keys)
    token = internal_token("training")
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= body.keys()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["instance"] == response.headers["x-request-id"]
    return body


def test_404(probe):
    body = _assert_problem(probe.get("/probe/nothing-here"), 404)
    assert body["type"].endswith("/not-found")


def test_405(probe):
    body = _assert_problem(probe.delete("/probe/echo"), 405)
    assert body["type"].endswith("/method-not-allowed")


def test_422_names_each_field_and_never_echoes_values(probe):
    response = probe.post(
        "/probe/echo",
        json={"hours": 987654, "national_id": 12},
        headers={"X-Request-ID": "fixed-request-id"},  # nothing random in the body
    )
    body = _assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.hours", "body.national_id"}
    assert all(e["reason"] for e in body["errors"])
    assert "987654" not in response.text


def test_422_on_malformed_json(probe):
    response = probe.post(
        "/probe/echo", content=b"{not json", headers={"content-type": "application/json"}
    )
    body = _assert_problem(response, 422)
    assert body["errors"]


def test_500_hides_the_error(probe, caplog):
    response = probe.get("/probe/boom")
    body = _assert_problem(response, 500)
    assert NATIONAL_ID not in response.text
    assert "Traceback" not in response.text and "/srv/secret" not in response.text
    assert body["type"].endswith("/internal-error")
    assert NATIONAL_ID not in caplog.text


def test_request_id_is_propagated(probe):
    response = probe.get("/probe/nothing-here", headers={"X-Request-ID": "abc-12345678"})
    assert response.headers["x-request-id"] == "abc-12345678"
    assert response.json()["instance"] == "abc-12345678"


def test_unsafe_request_id_is_replaced(probe):
    response = probe.get("/probe/nothing-here", headers={"X-Request-ID": "bad id\nwith newline"})
    assert response.headers["x-request-id"] != "bad id\nwith newline"
    assert len(response.headers["x-request-id"]) == 32
