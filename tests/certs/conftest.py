"""Callers and builders shared by the certificate-registry tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from services.certs.models import DEFAULT_AGENCY, WarningLeadTimes, metadata
from services.certs.service import certificate_import
from services.certs.service import certificates as certificates_service
from services.certs.settings import CertsSettings

CATALOGUER: dict[str, Any] = {
    "sub": "catalogue.officer",
    "permissions": ["certs:catalogue:read", "certs:catalogue:write"],
    "person_id": "P-CAT",
    "agency_code": "A00",
}
HOLDER: dict[str, Any] = {
    "sub": "emp.a01",
    "permissions": [
        "certs:catalogue:read",
        "certs:certificates:read:self",
        "certs:certificates:submit:self",
    ],
    "person_id": "P-HOLDER",
    "agency_code": "A01",
    "agency_scope": ["A01"],
}
OTHER_HOLDER: dict[str, Any] = {**HOLDER, "sub": "emp2.a01", "person_id": "P-OTHER"}
HOLDER_A02: dict[str, Any] = {
    **HOLDER,
    "sub": "emp.a02",
    "person_id": "P-A02",
    "agency_code": "A02",
    "agency_scope": ["A02"],
}
HR_PERMISSIONS = [
    "certs:catalogue:read",
    "certs:certificates:read:agency",
    "certs:certificates:write:agency",
    "certs:certificates:submit:self",
    "certs:warnings:read:agency",
    "certs:warnings:write:agency",
]
HR_A01: dict[str, Any] = {
    "sub": "hr.a01",
    "permissions": HR_PERMISSIONS,
    "person_id": "P-HR1",
    "agency_code": "A01",
    "agency_scope": ["A01"],
}
HR_A02: dict[str, Any] = {
    **HR_A01,
    "sub": "hr.a02",
    "person_id": "P-HR2",
    "agency_code": "A02",
    "agency_scope": ["A02"],
}
IMPORTER: dict[str, Any] = {
    "sub": "importer.certs",
    "kind": "machine",
    "permissions": ["certs:certificates:import"],
    "agency_code": "A01",
    "agency_scope": ["A01"],
}
NOBODY: dict[str, Any] = {
    "sub": "nobody",
    "permissions": ["training:records:read:self"],
    "person_id": "P-X",
}

Call = Callable[..., Any]


def entry_body(code: str = "aws-ai-practitioner", **fields: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "AWS Certified AI Practitioner",
        "issuer": f"issuer of {code}",
        "kind": "tool",
        "level": "foundational",
        "roles": ["application", "development"],
        "validity_months": 36,
        "sector": "industry",
        "recognised_from": "2020-01-01",
        **fields,
    }


@pytest.fixture
def certs_app(
    apps: dict[str, FastAPI], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FastAPI]:
    """The certs app with its evidence under this test's own folder, and its
    tables as each test expects them: empty but for the migration's default
    lead times (the suite empties every table after a test, but the first
    test finds the migration's seed catalogue too)."""
    app = apps["certs"]
    monkeypatch.setattr(app.state.settings, "storage_dir", tmp_path / "evidence")
    with Session(app.state.engine) as session:
        for table in reversed(metadata.sorted_tables):
            session.execute(table.delete())
        session.add(
            WarningLeadTimes(
                agency_code=DEFAULT_AGENCY,
                lead_days=[90, 30, 7],
                updated_by="test",
                updated_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        session.commit()
    yield app


@pytest.fixture
def registered_on(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """registered_on(day): submissions and decisions see `day` as today in
    Taipei, so a test can register certificates in the past and run the jobs
    for the days after (the jobs take their day as `as_of`)."""

    def set_day(day: date) -> None:
        for module in (certificates_service, certificate_import):
            monkeypatch.setattr(module, "today_taipei", lambda: day)

    return set_day


@pytest.fixture
def settings(certs_app: FastAPI) -> CertsSettings:
    value = certs_app.state.settings
    assert isinstance(value, CertsSettings)
    return value


@pytest.fixture
def call(
    certs_app: FastAPI, client: Callable[[str], Any], internal_token: Callable[..., str]
) -> Call:
    """call(method, path, principal, **request kwargs) on the certs service."""

    def run(method: str, path: str, principal: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if principal is not None:
            headers["Authorization"] = f"Bearer {internal_token('certs', **principal)}"
        return client("certs").request(method, path, headers=headers, **kwargs)

    return run


def add_entry(call: Call, code: str = "aws-ai-practitioner", **fields: Any) -> dict[str, Any]:
    """A catalogue entry; returns it with its current version."""
    response = call("POST", "/catalogue", CATALOGUER, json=entry_body(code, **fields))
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()
    return entry


def submit(
    call: Call,
    version_id: int,
    number: str = "N-0001",
    obtained_on: str = "2026-03-01",
    holder: dict[str, Any] = HOLDER,
) -> dict[str, Any]:
    response = call(
        "POST",
        "/certificates",
        holder,
        json={
            "catalogue_version_id": version_id,
            "certificate_number": number,
            "obtained_on": obtained_on,
        },
    )
    assert response.status_code == 201, response.text
    certificate: dict[str, Any] = response.json()
    return certificate


def verify(call: Call, certificate_id: int, officer: dict[str, Any] = HR_A01) -> dict[str, Any]:
    response = call("POST", f"/certificates/{certificate_id}/verify", officer, json={})
    assert response.status_code == 200, response.text
    certificate: dict[str, Any] = response.json()
    return certificate


def verified(
    call: Call, number: str = "N-0001", obtained_on: str = "2026-03-01", **entry: Any
) -> dict[str, Any]:
    """A verified certificate of HOLDER on a fresh catalogue entry."""
    version_id = add_entry(call, **entry)["current"]["id"]
    return verify(call, submit(call, version_id, number, obtained_on)["id"])


# --------------------------------------------------------------- AI talent

TALENT_HR_PERMISSIONS = [
    *HR_PERMISSIONS,
    "certs:talent:read:agency",
    "certs:talent:write:agency",
    "certs:points:write:agency",
]
TALENT_HR_A01: dict[str, Any] = {**HR_A01, "permissions": TALENT_HR_PERMISSIONS}
TALENT_HR_A02: dict[str, Any] = {**HR_A02, "permissions": TALENT_HR_PERMISSIONS}
TALENT_SELF: dict[str, Any] = {
    **HOLDER,
    "permissions": [*HOLDER["permissions"], "certs:talent:read:self"],
}
TALENT_OTHER_SELF: dict[str, Any] = {
    **OTHER_HOLDER,
    "permissions": [*OTHER_HOLDER["permissions"], "certs:talent:read:self"],
}


class DirectoryStub:
    """The directory's `GET /persons/{id}` as certs reads it, from a dict
    (person id → (agency, unit)); `down` makes it unreachable."""

    def __init__(self) -> None:
        self.persons: dict[str, tuple[str, int | None]] = {}
        self.down = False
        self.calls = 0
        app = FastAPI()

        @app.get("/persons/{person_id}")
        def person(person_id: str) -> Any:
            from fastapi.responses import JSONResponse

            if person_id not in self.persons:
                return JSONResponse({"detail": "no such person"}, status_code=404)
            agency, unit = self.persons[person_id]
            return {"id": person_id, "agency_code": agency, "unit_id": unit, "name": "x"}

        from fastapi.testclient import TestClient

        inner = TestClient(app)._transport
        stub = self

        class Transport(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                stub.calls += 1
                if stub.down:
                    raise httpx.ConnectError("connection refused", request=request)
                return inner.handle_request(request)

        self.transport = Transport()


@pytest.fixture
def directory(certs_app: FastAPI, internal_token: Callable[..., str]) -> Iterator[DirectoryStub]:
    """The certs app's directory calls reach a stub; persons are added per test."""
    from services.certs.clients import Peers, peer_clients

    stub = DirectoryStub()

    def peers() -> Iterator[Peers]:
        made = Peers(
            {"directory": "http://directory"},
            lambda peer: internal_token(peer, sub="exchanged"),
            {"directory": stub.transport},
        )
        try:
            yield made
        finally:
            made.close()

    certs_app.dependency_overrides[peer_clients] = peers
    yield stub
    certs_app.dependency_overrides.pop(peer_clients, None)
