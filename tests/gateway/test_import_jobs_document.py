"""Every import that may run as a job says so in the merged document: the
`Prefer` header, the 202 with its `Location` and the job's schema; and each
import's list of jobs is in the list envelope."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import GatewaySettings

QUEUED_IMPORTS = {
    "/api/training/imports",
    "/api/directory/persons/import",
    "/api/attendance/attendance-records/import",
    "/api/attendance/overtime/import",
    "/api/attendance/roster/import",
}
JOB_LISTS = {
    "/api/training/imports",
    "/api/directory/persons/imports",
    "/api/attendance/attendance-records/imports",
    "/api/attendance/overtime/imports",
    "/api/attendance/roster/imports",
}


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    app = create_app(GatewaySettings(keys_dir=tmp_path_factory.mktemp("keys"), environment="test"))
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _schema(document, ref: str) -> dict:
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize("path", sorted(QUEUED_IMPORTS))
def test_an_import_declares_prefer_and_its_202_with_location(document, path):
    op = document["paths"][path]["post"]
    assert "Prefer" in {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
    accepted = op["responses"]["202"]
    assert set(accepted["headers"]) == {"Location", "Preference-Applied"}
    schema = _schema(document, accepted["content"]["application/json"]["schema"]["$ref"])
    assert {"id", "status", "progress", "failure"} <= set(schema["properties"])


@pytest.mark.parametrize("path", sorted(JOB_LISTS))
def test_each_import_lists_its_jobs_in_the_envelope_by_status(document, path):
    op = document["paths"][path]["get"]
    assert {"status", "limit", "cursor"} <= {p["name"] for p in op["parameters"]}
    page = _schema(
        document, op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert set(page["properties"]) == {"items", "next_cursor", "limit"}
