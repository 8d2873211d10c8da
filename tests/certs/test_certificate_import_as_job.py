"""The certificate import as a job: 202 with `Prefer: respond-async` or for a
body above CERTS_IMPORT_ASYNC_BYTES, listed with its progress at
GET /certificate-imports for the caller's scope, and run after the request by
a worker of any replica (its import is built from the job row alone)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI

from services.certs.service import certificate_import
from services.common.importing.queue import ImportQueue, portable_imports
from tests.certs.conftest import HR_A01, IMPORTER, NOBODY, add_entry

BODY = (
    "person_id,agency_code,catalogue_code,certificate_number,obtained_on\n"
    "P-HOLDER,A01,aws-ai-practitioner,AWS-1,2026-03-01\n"
    "P-X,A02,aws-ai-practitioner,AWS-3,2026-03-01\n"
    "P-OTHER,A01,aws-ai-practitioner,AWS-2,115/04/01\n"
)
IMPORTER_A02: dict[str, Any] = {
    **IMPORTER,
    "sub": "importer.a02",
    "agency_code": "A02",
    "agency_scope": ["A02"],
}


def _post(call, headers: dict[str, str], who: dict[str, Any] = IMPORTER) -> Any:
    return call(
        "POST",
        "/certificate-imports",
        who,
        content=BODY.encode(),
        headers={"Content-Type": "text/csv", **headers},
    )


def _replica(app: FastAPI, name: str = "replica-2") -> ImportQueue:
    """A worker of another certs process on the same database and spool."""
    return ImportQueue(
        app.state.engine,
        app.state.settings.import_spool_dir,
        name=name,
        service="certs",
        settings=app.state.settings,
    )


def _registered(call) -> list[str]:
    items = call("GET", "/certificates", HR_A01).json()["items"]
    return sorted(c["certificate_number"] for c in items)


def test_with_prefer_it_is_202_listed_and_run_by_another_replica(call, certs_app) -> None:
    add_entry(call)
    answer = _post(call, {"Prefer": "respond-async"})
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["location"] == f"certificate-imports/{job['id']}"
    assert answer.headers["preference-applied"] == "respond-async"
    assert job["status"] == "queued"
    assert _registered(call) == []

    listed = call("GET", "/certificate-imports", IMPORTER, params={"status": "queued"})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [j["id"] for j in body["items"]] == [job["id"]]
    assert body["next_cursor"] is None
    assert body["items"][0]["progress"]["bytes_total"] == len(BODY.encode())
    assert body["items"][0]["progress"]["rows_done"] == 0

    assert asyncio.run(_replica(certs_app).run_once()) == job["id"]
    done = call("GET", f"/certificate-imports/{job['id']}", IMPORTER).json()
    assert (done["status"], done["rows_read"], done["inserted"], done["failed"]) == (
        "completed",
        3,
        2,
        1,
    )
    assert [(e["row"], e["field"]) for e in done["errors"]] == [(2, "agency_code")]
    assert _registered(call) == ["AWS-1", "AWS-2"]
    finished = call("GET", "/certificate-imports", IMPORTER, params={"status": "completed"})
    progress = finished.json()["items"][0]["progress"]
    assert (progress["rows_done"], progress["rows_failed"], progress["percent"]) == (3, 1, "100.00")
    # Nothing is left for the next worker.
    assert asyncio.run(_replica(certs_app, "replica-3").run_once()) is None


def test_a_body_above_the_threshold_is_queued_without_asking(
    call, certs_app, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_entry(call)
    monkeypatch.setattr(settings, "import_async_bytes", 64)
    answer = _post(call, {})
    assert answer.status_code == 202, answer.text
    assert "preference-applied" not in answer.headers
    assert asyncio.run(_replica(certs_app).run_once()) == answer.json()["id"]
    assert _registered(call) == ["AWS-1", "AWS-2"]


def test_a_small_import_without_prefer_answers_in_its_request(call) -> None:
    add_entry(call)
    answer = _post(call, {})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["inserted"]) == ("completed", 2)


def test_a_dry_run_queued_writes_nothing(call, certs_app) -> None:
    add_entry(call)
    answer = call(
        "POST",
        "/certificate-imports",
        IMPORTER,
        content=BODY.encode(),
        params={"dry_run": "true"},
        headers={"Content-Type": "text/csv", "Prefer": "respond-async"},
    )
    assert answer.status_code == 202, answer.text
    assert asyncio.run(_replica(certs_app).run_once()) == answer.json()["id"]
    done = call("GET", f"/certificate-imports/{answer.json()['id']}", IMPORTER).json()
    assert (done["dry_run"], done["inserted"], done["failed"]) == (True, 2, 1)
    assert _registered(call) == []


def test_the_list_holds_only_what_the_caller_may_read(call) -> None:
    add_entry(call)
    assert _post(call, {"Prefer": "respond-async"}).status_code == 202
    assert call("GET", "/certificate-imports", IMPORTER_A02).json()["items"] == []
    assert call("GET", "/certificate-imports", NOBODY).status_code == 403
    assert call("GET", "/certificate-imports").status_code == 401
    bad = call("GET", "/certificate-imports", IMPORTER, params={"status": "lost"})
    assert bad.status_code == 422
    assert "status" in bad.text


def test_a_header_the_import_cannot_read_is_refused_at_once(call) -> None:
    answer = call(
        "POST",
        "/certificate-imports",
        IMPORTER,
        content=b"person_id,agency_code\nP-1,A01\n",
        headers={"Content-Type": "text/csv", "Prefer": "respond-async"},
    )
    assert answer.status_code == 422, answer.text
    assert call("GET", "/certificate-imports", IMPORTER).json()["items"] == []


def test_any_certs_worker_may_run_certificate_imports() -> None:
    assert certificate_import.SOURCE in portable_imports("certs")
