"""The attendance imports as jobs: 202 with `Prefer: respond-async` (or above
ATTENDANCE_IMPORT_ASYNC_BYTES), each import's jobs listed under its own path,
the job run by the worker after the request, its result read back."""

from __future__ import annotations

import asyncio
import json
import logging

from renshi.cli import main
from services.common.importing.queue import ImportQueue, import_queue
from tests.attendance.builders import jsonl
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


def _queue_roster(api, actors) -> int:
    body = jsonl([{"person_id": "X1", "agency_code": "A01"}, {"person_id": "X2"}])
    headers = {**actors.importer, "Content-Type": "application/x-ndjson", **ASYNC}
    response = api.post("/roster/import", content=body, headers=headers)
    assert response.status_code == 202, response.text
    job_id: int = response.json()["id"]
    return job_id


def _roster_job(api, actors, job_id: int) -> dict:
    response = api.get(f"/roster/imports/{job_id}", headers=actors.importer)
    assert response.status_code == 200, response.text
    job: dict = response.json()
    return job


def test_another_replica_runs_a_queued_roster_import(api, actors):
    job_id = _queue_roster(api, actors)
    app = api.app
    settings = app.state.settings
    replica = ImportQueue(
        app.state.engine,
        settings.import_spool_dir,
        name="replica-2",
        service="attendance",
        settings=settings,
    )
    assert asyncio.run(replica.run_once()) == job_id
    job = _roster_job(api, actors, job_id)
    assert (job["status"], job["created"], job["failed"]) == ("completed", 1, 1)


def test_renshi_worker_once_runs_the_queued_imports(api, actors, monkeypatch, capsys):
    job_id = _queue_roster(api, actors)
    settings = api.app.state.settings
    monkeypatch.setenv("ATTENDANCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ATTENDANCE_IMPORT_SPOOL_DIR", str(settings.import_spool_dir))
    monkeypatch.setenv("ATTENDANCE_ENVIRONMENT", "test")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        assert main(["worker", "attendance", "--once"]) == 0
    finally:  # the command configures the process's logging as a worker's
        root.handlers[:], level = saved
        root.setLevel(level)
    assert json.loads(capsys.readouterr().out) == {"service": "attendance", "jobs_run": 1}
    assert _roster_job(api, actors, job_id)["status"] == "completed"
