"""JSON bodies are UTF-8 (RFC 8259 §8.1). Python's json.loads, which FastAPI
hands the raw bytes, also reads UTF-16 and UTF-32; every service and the
gateway refuse those with a 415 problem naming the body, before any handler."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from fastapi import APIRouter, Body
from fastapi.testclient import TestClient
from pydantic import BaseModel

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from services.common.app import build_service_app
from services.training.settings import TrainingSettings

TEXT = json.dumps({"name": "王小明"}, ensure_ascii=False)


class Payload(BaseModel):
    name: str


@pytest.fixture
def probe(service_urls, internal_keys, internal_token) -> TestClient:
    # Not a public operation: it needs no declared permission.
    router = APIRouter(prefix="/probe", tags=["probe"], include_in_schema=False)

    @router.post("/echo", summary="Echo")
    def echo(payload: Annotated[Payload, Body()]) -> dict[str, str]:
        return {"name": payload.name}

    @router.post("/raw", summary="Reads its own body")
    async def raw(body: Annotated[bytes, Body(media_type="text/csv")]) -> dict[str, int]:
        return {"bytes": len(body)}

    settings = TrainingSettings(
        database_url=service_urls["training"],
        environment="test",
        internal_public_key=internal_keys.public_pem,
    )
    app = build_service_app(settings, [router], title="probe", description="probe")
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {internal_token('training')}"
    return client


def _assert_refused(response) -> None:
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/unsupported-media-type")
    assert body["instance"] == response.headers["x-request-id"]
    (error,) = body["errors"]
    assert error["field"] == "body" and error["code"] == "encoding" and error["reason"]
    assert "王小明" not in response.text


NOT_UTF8 = {
    "UTF-16 with BOM": TEXT.encode("utf-16"),
    "UTF-16LE without BOM": TEXT.encode("utf-16-le"),
    "UTF-16BE without BOM": TEXT.encode("utf-16-be"),
    "UTF-32 with BOM": TEXT.encode("utf-32"),
    "UTF-32LE without BOM": TEXT.encode("utf-32-le"),
    "Big5": TEXT.encode("big5"),
    "Latin-1": json.dumps({"name": "José"}, ensure_ascii=False).encode("latin-1"),
}


@pytest.mark.parametrize("body", NOT_UTF8.values(), ids=NOT_UTF8.keys())
@pytest.mark.parametrize("media_type", ["application/json", "application/merge-patch+json"])
def test_a_json_body_not_in_utf8_is_415_naming_the_body(probe, body, media_type):
    _assert_refused(probe.post("/probe/echo", content=body, headers={"content-type": media_type}))


@pytest.mark.parametrize("charset", ["utf-16", "UTF-32", '"latin1"', "big5"])
def test_a_declared_charset_other_than_utf8_is_415(probe, charset):
    response = probe.post(
        "/probe/echo",
        content=TEXT.encode(),
        headers={"content-type": f"application/json; charset={charset}"},
    )
    _assert_refused(response)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (TEXT.encode(), "application/json"),
        (TEXT.encode(), "application/json; charset=UTF-8"),
        (TEXT.encode(), 'application/json; charset="utf-8"'),
        # RFC 8259 lets a parser ignore a byte order mark; json.loads does.
        (TEXT.encode("utf-8-sig"), "application/json"),
    ],
)
def test_utf8_json_is_accepted(probe, body, content_type):
    response = probe.post("/probe/echo", content=body, headers={"content-type": content_type})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "王小明"}


def test_other_media_types_are_left_to_their_handler(probe):
    # Imports read CSV in UTF-8 or Big5 and decide themselves.
    body = "name\n王小明\n".encode("big5")
    response = probe.post("/probe/raw", content=body, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json() == {"bytes": len(body)}


def test_the_gateway_refuses_a_utf16_token_exchange(tmp_path):
    app = create_gateway(GatewaySettings(keys_dir=tmp_path, environment="test"))
    with TestClient(app, client=("127.0.0.1", 40000), raise_server_exceptions=False) as client:
        response = client.post(
            "/internal/token-exchange",
            content=json.dumps({"audience": "training"}).encode("utf-16"),
            headers={"content-type": "application/json", "authorization": "Bearer x"},
        )
    _assert_refused(response)
