"""Learning-record imports as jobs: 202 with `Prefer: respond-async` or above
TRAINING_IMPORT_ASYNC_BYTES, the job listed and run by the worker after the
request has gone (the directory reached as training's own account, for the
importer and within its agencies: see test_portable_record_imports),
200/201 in the request below the threshold."""

from __future__ import annotations

import asyncio

from services.common.importing.queue import import_queue
from tests.training.conftest import IMPORTER
from tests.training.test_imports import HEADER, post, records_count, row

ASYNC = {"Prefer": "respond-async"}


def run_worker(apps) -> int | None:
    return asyncio.run(import_queue(apps["training"]).run_once())


def test_an_import_with_prefer_is_202_and_runs_after_the_request(call, apps, ready):
    body = HEADER + row("E1") + row("E2", person="P002") + row("E3", person="NOBODY")
    response = post(call, body, headers=ASYNC)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"imports/{job['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    assert records_count(apps) == 0
    listed = call("GET", "/imports", IMPORTER, params={"status": "queued"}).json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]

    assert run_worker(apps) == job["id"]
    done = call("GET", f"/imports/{job['id']}", IMPORTER)
    assert done.status_code == 200, done.text
    got = done.json()
    assert (got["status"], got["inserted"], got["failed"]) == ("completed", 2, 1)
    assert got["progress"] == {
        "bytes_read": len(body.encode()),
        "bytes_total": len(body.encode()),
        "rows_done": 3,
        "rows_failed": 1,
        "percent": "100.00",
    }
    assert records_count(apps) == 2
    finished = call("GET", "/imports", IMPORTER, params={"status": "completed"}).json()
    assert [j["id"] for j in finished["items"]] == [job["id"]]


def test_above_the_threshold_is_202_and_below_it_201(call, apps, ready):
    settings = apps["training"].state.settings
    body = HEADER + row("E1")
    kept = settings.import_async_bytes
    settings.import_async_bytes = len(body.encode())
    try:
        assert post(call, body).status_code == 201
        above = post(call, body + row("E2"))
        assert above.status_code == 202, above.text
        assert "preference-applied" not in above.headers
    finally:
        settings.import_async_bytes = kept


def test_another_platforms_importer_lists_none_of_these_jobs(call, apps, ready):
    post(call, HEADER + row("E1"), headers=ASYNC)
    other = {**IMPORTER, "sub": "importer.moodle", "permissions": ["training:imports:moodle"]}
    assert call("GET", "/imports", other).json()["items"] == []
    assert len(call("GET", "/imports", IMPORTER).json()["items"]) == 1
