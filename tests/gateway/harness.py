"""An in-process gateway in front of a fake directory and a recording upstream,
so each test can count exactly what reached a service."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.issuer import issue_token
from gateway.keys import KeyPair, generate
from gateway.settings import GatewaySettings
from services.common.internal_auth import InternalTokenVerifier

SERVICES = ("directory", "training", "certs", "attendance", "speakers")
# One migrated audit database for the whole run, set by tests/gateway/conftest.py
# (the table is append-only, so tests tell their rows apart by request id).
AUDIT_DATABASE: dict[str, str] = {}


def account(name: str, **fields: Any) -> dict[str, Any]:
    base = {
        "account": name,
        "kind": "human",
        "status": "active",
        "person_id": f"P-{name}",
        "agency_code": "A01",
        "agency_scope": ["A01"],
        "roles": ["security_auditor"],
        "permissions": [f"{s}:audit:read" for s in SERVICES],
        "allowed_networks": [],
        "person_status": "active",
    }
    base.update(fields)
    return base


@dataclass
class Recorder:
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.requests)


@dataclass
class UsageLog:
    """What the fake directory received on POST /principals/usage; `fail_with`
    makes it answer that status instead (or raise, for "raise")."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    callers: list[str] = field(default_factory=list)
    fail_with: int | str | None = None

    def entries(self) -> list[tuple[str, str, str]]:
        return [
            (e["account"], e["permission"], e["used_on"])
            for call in self.calls
            for e in call["entries"]
        ]


def fake_directory(
    accounts: dict[str, dict[str, Any]],
    secrets: dict[str, str],
    verifier: InternalTokenVerifier,
    usage: UsageLog | None = None,
) -> FastAPI:
    app = FastAPI()
    usage = usage if usage is not None else UsageLog()

    def check(request: Request) -> Any:
        auth = request.headers.get("authorization", "")
        principal = verifier.verify(auth.removeprefix("Bearer "))
        assert "directory:principals:resolve" in principal.permissions
        return principal

    @app.get("/principals/{name}")
    def resolve(name: str, request: Request) -> Any:
        check(request)
        if name not in accounts:
            return JSONResponse({"status": 404}, status_code=404)
        return accounts[name]

    @app.post("/principals/usage")
    async def record_usage(request: Request) -> Any:
        principal = check(request)
        if usage.fail_with == "raise":
            raise RuntimeError("the directory fell over")
        if usage.fail_with is not None:
            return JSONResponse({"status": usage.fail_with}, status_code=int(usage.fail_with))
        body = await request.json()
        usage.calls.append(body)
        usage.callers.append(principal.sub)
        return {"entries": len(body["entries"]), "unknown_accounts": 0, "roles_recorded": 0}

    @app.post("/principals/client-credentials")
    async def credentials(request: Request) -> Any:
        check(request)
        body = await request.json()
        name = body["client_id"]
        if name in accounts and secrets.get(name) == body["client_secret"]:
            return accounts[name]
        return JSONResponse({"status": 401}, status_code=401)

    return app


UPSTREAM_DATE = "Mon, 02 Jan 2006 15:04:05 GMT"


def recording_upstream(
    recorder: Recorder, service: str, verifier: InternalTokenVerifier
) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def record(path: str, request: Request) -> Any:
        body = await request.body()
        principal = verifier.verify(request.headers["authorization"].removeprefix("Bearer "))
        recorder.requests.append(
            {
                "service": service,
                "path": "/" + path,
                "raw_path": request.scope.get("raw_path"),
                "query": request.url.query,
                "headers": list(request.headers.raw),
                "body": body,
                "principal": principal,
            }
        )
        # As a service behind uvicorn answers: its server stamps a date.
        return JSONResponse(
            {"ok": True, "service": service},
            headers={"date": UPSTREAM_DATE, "server": "uvicorn"},
        )

    return app


class HostRouter(httpx.AsyncBaseTransport):
    """In-process apps by host name; any other host over the network when
    `network` is given, else a connection error."""

    def __init__(
        self, apps: dict[str, FastAPI], network: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}
        self._network = network

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._transports.get(request.url.host, self._network)
        if transport is None:
            raise httpx.ConnectError("no such host", request=request)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._network is not None:
            await self._network.aclose()


@dataclass
class Harness:
    client: TestClient
    recorder: Recorder
    accounts: dict[str, dict[str, Any]]
    secrets: dict[str, str]
    issuer: KeyPair
    settings: GatewaySettings
    usage: UsageLog

    def runtime(self) -> Any:
        return self.client.app.runtime()  # type: ignore[attr-defined]

    def token(self, sub: str = "alice", *, lifetime: int = 600, now: float | None = None) -> str:
        return issue_token(
            self.issuer,
            account=sub,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            lifetime=lifetime,
            now=now,
        )

    def claims_token(
        self,
        claims: dict[str, Any],
        headers: dict[str, Any] | None = None,
        key: KeyPair | None = None,
    ) -> str:
        now = int(time.time())
        base = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": "alice",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
        }
        base.update(claims)
        base = {k: v for k, v in base.items() if v is not None}
        signer = key or self.issuer
        hdrs = {"kid": signer.kid}
        hdrs.update(headers or {})
        return jwt.encode(base, signer.private_pem, algorithm="EdDSA", headers=hdrs)


def build(
    tmp_path,
    *,
    peer: str = "127.0.0.1",
    internal: KeyPair | None = None,
    network: bool = False,
    **settings_fields: Any,
) -> tuple[TestClient, Harness]:
    """`internal`: the key pair of internal tokens, when a real service must
    verify what the gateway signs (a new one otherwise); `network`: service
    URLs outside the in-process hosts are called over the network (a live
    server) instead of failing to connect."""
    issuer = generate()
    internal = internal or generate()
    settings_fields.setdefault("database_url", AUDIT_DATABASE["url"])
    # The in-process upstreams are reachable only through the httpx transport.
    settings_fields.setdefault("forwarder", "httpx")
    settings_fields.setdefault("service_urls", {s: f"http://{s}.internal" for s in SERVICES})
    settings = GatewaySettings(
        keys_dir=tmp_path,
        environment="test",
        issuer_private_key=issuer.private_pem,
        internal_private_key=internal.private_pem,
        **settings_fields,
    )
    recorder = Recorder()
    usage = UsageLog()
    accounts = {"alice": account("alice")}
    secrets: dict[str, str] = {}
    apps: dict[str, FastAPI] = {}
    for svc in SERVICES:
        verifier = InternalTokenVerifier(public_pem=internal.public_pem, audience=svc)
        apps[f"{svc}.internal"] = recording_upstream(recorder, svc, verifier)
    apps["directory.internal"] = _directory_router(
        fake_directory(
            accounts,
            secrets,
            InternalTokenVerifier(public_pem=internal.public_pem, audience="directory"),
            usage,
        ),
        apps["directory.internal"],
    )
    # (HostRouter(apps) alone when not needed: tests may replace HostRouter.)
    router = HostRouter(apps, httpx.AsyncHTTPTransport()) if network else HostRouter(apps)
    app = create_app(settings, transport=router)
    client = TestClient(app, client=(peer, 50000), raise_server_exceptions=False)
    return client, Harness(client, recorder, accounts, secrets, issuer, settings, usage)


def _directory_router(principals: FastAPI, upstream: FastAPI) -> FastAPI:
    """The directory host answers /principals/* itself and records everything else."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        target = principals if scope.get("path", "").startswith("/principals") else upstream
        await target(scope, receive, send)

    return app  # type: ignore[return-value]
