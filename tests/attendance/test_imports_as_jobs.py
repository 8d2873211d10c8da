"""The attendance imports as jobs: 202 with `Prefer: respond-async` (or above
ATTENDANCE_IMPORT_ASYNC_BYTES), each import's jobs listed under its own path,
the job run by the worker after the request, its result read back."""

from __future__ import annotations

import asyncio

from services.common.importing.queue import import_queue
from tests.attendance.test_imports import OVERTIME_CSV_HEADER, _other_agency_importer

ASYNC = {"Prefer": "respond-async"}


def _run_worker(api) -> int | None:
    return asyncio.run(import_queue(api.app).run_once())


def test_an_overtime_import_with_prefer_is_202_and_runs_after_the_request(api, actors, roster):
    body = (
        OVERTIME_CSV_HEADER + "q1,E1,2025-03-03,60,S1,r,pay\nq2,NOBODY,2025-03-03,60,S1,r,pay\n"
    ).encode()
    headers = {**actors.importer, "Content-Type": "text/csv", **ASYNC}
    response = api.post("/overtime/import?source=webitr", content=body, headers=headers)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"imports/{job['id']}"
    assert api.get("/overtime", params={"person_id": "E1"}, headers=actors.hr).json()["items"] == []
    queued = api.get("/overtime/imports", headers=actors.importer).json()
    assert [(j["id"], j["status"]) for j in queued["items"]] == [(job["id"], "queued")]
    # Each import lists its own jobs only (the roster's is the fixture's).
    rosters = api.get("/roster/imports", headers=actors.importer).json()["items"]
    assert [(j["source"], j["status"], j["spooled"]) for j in rosters] == [
        ("roster", "completed", False)
    ]
    assert (
        api.get("/overtime/imports", headers=_other_agency_importer(actors)).json()["items"] == []
    )

    assert _run_worker(api) == job["id"]
    done = api.get(f"/overtime/imports/{job['id']}", headers=actors.importer).json()
    assert (done["status"], done["created"], done["failed"], done["rows"]) == (
        "completed",
        1,
        1,
        2,
    )
    assert done["progress"]["percent"] == "100.00"
    assert done["progress"]["bytes_total"] == len(body)
    (record,) = api.get("/overtime", params={"person_id": "E1"}, headers=actors.hr).json()["items"]
    assert record["minutes"] == 60


def test_a_roster_import_below_the_threshold_answers_in_its_request(api, actors):
    body = b'{"person_id": "R1", "agency_code": "A01"}\n'
    headers = {**actors.importer, "Content-Type": "application/x-ndjson"}
    settings = api.app.state.settings
    kept = settings.import_async_bytes
    settings.import_async_bytes = len(body)
    try:
        at = api.post("/roster/import", content=body, headers=headers)
        assert at.status_code == 200, at.text
        assert at.json()["status"] == "completed"
        above = api.post("/roster/import", content=body + body, headers=headers)
        assert above.status_code == 202, above.text
    finally:
        settings.import_async_bytes = kept
    statuses = [
        j["status"] for j in api.get("/roster/imports", headers=actors.importer).json()["items"]
    ]
    assert statuses == ["queued", "completed"]
