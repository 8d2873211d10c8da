"""The gateway's own readiness (`/readyz`) and the services' as it sees them
(`/readyz/services`): the first never asks a service and answers within its
bound whatever hangs; the second asks every service in parallel, each briefly."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.endpoints.health import (
    OWN_CHECK_TIMEOUT,
    SERVICE_PROBE_TIMEOUT,
    OwnReadiness,
    keys_state,
)
from gateway.keyring import Keyring
from gateway.keys import KeyPair, generate
from gateway.settings import GatewaySettings
from services.common.errors import Problem
from tests.databases import fresh_database
from tests.gateway.harness import AUDIT_DATABASE, SERVICES


class Services(httpx.AsyncBaseTransport):
    """Every service's /readyz: 200, or a hang for the services named in `hang`.
    Counts what it was asked."""

    def __init__(self, hang: Collection[str] = (), not_ready: Collection[str] = ()) -> None:
        self.hang = hang
        self.not_ready = not_ready
        self.asked: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        service = request.url.host.removesuffix(".internal")
        self.asked.append(f"{service}{request.url.path}")
        if service in self.hang:
            await asyncio.sleep(30)
        status = 503 if service in self.not_ready else 200
        return httpx.Response(status, json={"status": "ready"})


def _settings(tmp_path, **fields: Any) -> GatewaySettings:
    fields.setdefault("database_url", AUDIT_DATABASE["url"])
    return GatewaySettings(
        keys_dir=tmp_path,
        environment="test",
        forwarder="httpx",
        service_urls={s: f"http://{s}.internal" for s in SERVICES},
        **fields,
    )


def _client(settings: GatewaySettings, services: Services) -> TestClient:
    app = create_app(settings, transport=services)
    return TestClient(app, client=("127.0.0.1", 50000), raise_server_exceptions=False)


def _timed_get(client: TestClient, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


# ------------------------------------------------------------------ /readyz


def test_readyz_is_the_gateways_own_and_asks_no_service(tmp_path):
    services = Services(hang=set(SERVICES))
    with _client(_settings(tmp_path), services) as client:
        response, took = _timed_get(client, "/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {
            "started": "ready",
            "keys": "ready",
            "audit_database": "ready",
            "rate_limit_store": "not configured",
        },
    }
    assert services.asked == []
    assert took < OWN_CHECK_TIMEOUT


def test_readyz_names_an_audit_database_not_migrated(tmp_path):
    with (
        fresh_database("gateway", tmp_path, migrate=False) as url,
        _client(_settings(tmp_path, database_url=url), Services()) as client,
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["checks"]["audit_database"] == "audit database not migrated"
    assert body["checks"]["keys"] == "ready"


def test_readyz_names_an_audit_database_unreachable(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-directory' / 'gateway.db'}"
    with _client(_settings(tmp_path, database_url=url), Services()) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["audit_database"] == "audit database unreachable"


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: a connection to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_readyz_checks_a_configured_redis(tmp_path):
    settings = _settings(
        tmp_path,
        rate_limit_storage="redis://127.0.0.1:6379",
        rate_limit_key_prefix=f"renshi-test-{uuid.uuid4().hex[:8]}",
    )
    with _client(settings, Services()) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["rate_limit_store"] == "ready"


def test_readyz_names_a_redis_that_refuses(tmp_path, refusing_port):
    settings = _settings(tmp_path, rate_limit_storage=f"redis://127.0.0.1:{refusing_port}")
    with _client(settings, Services()) as client:
        response, took = _timed_get(client, "/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["rate_limit_store"] == "rate-limit store unreachable"
    assert took < OWN_CHECK_TIMEOUT + 1


def test_readyz_answers_in_time_when_redis_hangs(tmp_path, silent_port):
    settings = _settings(tmp_path, rate_limit_storage=f"redis://127.0.0.1:{silent_port}")
    with _client(settings, Services()) as client:
        response, took = _timed_get(client, "/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["rate_limit_store"] == "rate-limit store timed out"
    assert OWN_CHECK_TIMEOUT <= took < OWN_CHECK_TIMEOUT + 1


# ------------------------------------------------------------- own checks


def _keyring() -> Keyring:
    return Keyring(issuer=generate(), internal=generate())


def _started() -> Any:
    return object()


def test_a_hung_audit_database_times_out_and_costs_one_thread():
    release = threading.Event()
    calls: list[int] = []

    def hangs() -> str:
        calls.append(1)
        release.wait(10)
        return "ready"

    own = OwnReadiness(_started, _keyring(), hangs, None, timeout=0.2)

    async def probe_twice() -> list[dict[str, str]]:
        try:
            return [await own.checks(), await own.checks()]
        finally:
            # Before the loop ends: it waits for its threads.
            release.set()

    first, second = asyncio.run(probe_twice())
    assert first["audit_database"] == second["audit_database"] == "audit database timed out"
    assert len(calls) == 1


def test_a_gateway_not_started_is_not_ready():
    def not_started() -> Any:
        raise Problem("the gateway is starting", status=503, slug="service-unavailable")

    own = OwnReadiness(not_started, _keyring(), lambda: "ready", None)
    checks = asyncio.run(own.checks())
    assert checks["started"] == "starting"
    assert asyncio.run(own.state()) == "starting"


def test_keys_whose_halves_do_not_match_are_unusable():
    good, other = generate(), generate()
    mismatched = KeyPair(good.private_pem, other.public_pem, good.kid)
    assert keys_state(Keyring(issuer=good, internal=other)) == "ready"
    assert keys_state(Keyring(issuer=good, internal=mismatched)) == "signing keys unusable"
    assert keys_state(Keyring(issuer=mismatched, internal=good)) == "signing keys unusable"


# --------------------------------------------------------- /readyz/services


def test_readyz_services_reports_every_service_and_the_gateway(tmp_path):
    services = Services()
    with _client(_settings(tmp_path), services) as client:
        response = client.get("/readyz/services")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "services": {**{s: "ready" for s in SERVICES}, "gateway": "ready"},
    }
    assert sorted(services.asked) == sorted(f"{s}/readyz" for s in SERVICES)


def test_readyz_services_asks_in_parallel_and_bounds_each_service(tmp_path):
    services = Services(hang={"training", "certs"}, not_ready={"speakers"})
    with _client(_settings(tmp_path), services) as client:
        response, took = _timed_get(client, "/readyz/services")
        own = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["services"] == {
        "directory": "ready",
        "training": "unreachable",
        "certs": "unreachable",
        "attendance": "ready",
        "speakers": "not ready",
        "gateway": "ready",
    }
    # Two hung services cost one probe timeout, not two.
    assert SERVICE_PROBE_TIMEOUT <= took < 2 * SERVICE_PROBE_TIMEOUT
    # The gateway itself stays ready: its probe must not take it out of rotation.
    assert own.status_code == 200


def test_readyz_services_names_the_gateway_when_it_is_not_ready(tmp_path):
    with (
        fresh_database("gateway", tmp_path, migrate=False) as url,
        _client(_settings(tmp_path, database_url=url), Services()) as client,
    ):
        response = client.get("/readyz/services")
    assert response.status_code == 503
    assert response.json()["services"]["gateway"] == "audit database not migrated"


def test_both_probes_are_open_and_declare_their_503(tmp_path):
    app_settings = _settings(tmp_path)
    services = Services()
    with _client(app_settings, services) as client:
        for path in ("/readyz", "/readyz/services"):
            assert client.get(path).status_code == 200
        document = client.get("/openapi.json").json()
    for path in ("/readyz", "/readyz/services"):
        op = document["paths"][path]["get"]
        assert op["security"] == []
        assert "503" in op["responses"]
