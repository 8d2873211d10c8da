"""The lecturer and engagement imports as jobs: 202 with `Prefer:
respond-async` (or above SPEAKERS_IMPORT_ASYNC_BYTES), the jobs listed at
/imports for the caller's scope with their progress, the job run after the
request by the service's worker, another replica's or `renshi worker speakers`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from renshi.cli import main
from services.common.importing.queue import ImportQueue, import_queue
from services.speakers.models import Engagement, Lecturer
from tests.speakers.conftest import OFFICER, Call
from tests.speakers.test_imports import ENGAGEMENTS, IMPORTER, jsonl

ASYNC = {"Prefer": "respond-async"}
LECTURERS = "source_id,name,expertise\nT001,王大明,資通安全\nT002,,公務倫理\n"


def _post(call: Call, kind: str, body: str, **headers: str) -> Any:
    media = "text/csv" if kind == "lecturers" else "application/x-ndjson"
    return call(
        "POST",
        f"/imports/{kind}?source=academy",
        IMPORTER,
        content=body.encode(),
        headers={"Content-Type": media, **headers},
    )


def _names(apps: Any) -> list[str]:
    with Session(apps["speakers"].state.engine) as session:
        return list(session.scalars(select(col(Lecturer.name)).order_by(col(Lecturer.name))))


def _run_worker(apps: Any) -> int | None:
    return asyncio.run(import_queue(apps["speakers"]).run_once())


def test_a_lecturer_import_with_prefer_is_202_and_runs_after_the_request(call, apps, categories):
    response = _post(call, "lecturers", LECTURERS, **ASYNC)
    assert response.status_code == 202, response.text
    job = response.json()
    # Beside …/imports/lecturers, `{id}` is …/imports/{id}, where the job is read.
    assert response.headers["location"] == str(job["id"])
    assert response.headers["preference-applied"] == "respond-async"
    assert job["status"] == "queued"
    assert _names(apps) == []
    listed = call("GET", "/imports", IMPORTER, params={"status": "queued"})
    assert listed.status_code == 200, listed.text
    assert [(j["id"], j["source"]) for j in listed.json()["items"]] == [(job["id"], "lecturers")]

    assert _run_worker(apps) == job["id"]
    done = call("GET", f"/imports/{job['id']}", IMPORTER).json()
    assert (done["status"], done["inserted"], done["failed"], done["rows_read"]) == (
        "completed",
        1,
        1,
        2,
    )
    assert [(e["row"], e["field"]) for e in done["errors"]] == [(2, "name")]
    assert _names(apps) == ["王大明"]
    # The search index followed the queued import as it follows one in its request.
    found = call("GET", "/search", OFFICER, params={"expertise": "資通"}).json()["items"]
    assert [i["name"] for i in found] == ["王大明"]
    [summary] = call("GET", "/imports", IMPORTER).json()["items"]
    assert summary["status"] == "completed"
    assert summary["progress"]["percent"] == "100.00"
    assert summary["progress"]["bytes_total"] == len(LECTURERS.encode())


def test_a_body_above_the_threshold_is_queued_and_one_at_it_answers_in_its_request(
    call, apps, categories
):
    settings = apps["speakers"].state.settings
    body = "source_id,name\nT1,甲\n"
    kept = settings.import_async_bytes
    settings.import_async_bytes = len(body.encode())
    try:
        at = _post(call, "lecturers", body)
        assert at.status_code == 201, at.text
        above = _post(call, "lecturers", body + "T2,乙\n")
        assert above.status_code == 202, above.text
        assert "preference-applied" not in above.headers
    finally:
        settings.import_async_bytes = kept
    statuses = [j["status"] for j in call("GET", "/imports", IMPORTER).json()["items"]]
    assert statuses == ["queued", "completed"]


def test_the_job_list_is_the_callers_and_each_kind_filters_it(call, apps, categories):
    lecturers = _post(call, "lecturers", "source_id,name\nT001,甲\n").json()
    records = [{**ENGAGEMENTS[0], "lecturer_source_id": "T001"}]
    engagements = _post(call, "engagements", jsonl(records), **ASYNC)
    assert engagements.status_code == 202, engagements.text
    queued = engagements.json()

    def listed(who: dict[str, Any], **params: str) -> list[int]:
        response = call("GET", "/imports", who, params=params)
        assert response.status_code == 200, response.text
        return [j["id"] for j in response.json()["items"]]

    assert listed(IMPORTER) == [queued["id"], lecturers["id"]]
    assert listed(IMPORTER, kind="lecturers") == [lecturers["id"]]
    assert listed(IMPORTER, kind="engagements", status="queued") == [queued["id"]]
    # Another importer (no agencies covering these jobs) sees none of them.
    assert listed({**IMPORTER, "sub": "other.importer"}) == []
    assert call("GET", "/imports", OFFICER).status_code == 403
    assert call("GET", "/imports").status_code == 401
    assert call("GET", "/imports", IMPORTER, params={"kind": "roster"}).status_code == 422

    assert _run_worker(apps) == queued["id"]
    with Session(apps["speakers"].state.engine) as session:
        assert len(session.scalars(select(Engagement)).all()) == 1


def test_another_replica_runs_a_queued_import(call, apps, categories):
    response = _post(call, "lecturers", LECTURERS, **ASYNC)
    assert response.status_code == 202, response.text
    app = apps["speakers"]
    replica = ImportQueue(
        app.state.engine,
        app.state.settings.import_spool_dir,
        name="replica-2",
        service="speakers",
        settings=app.state.settings,
    )
    assert asyncio.run(replica.run_once()) == response.json()["id"]
    assert _names(apps) == ["王大明"]


def test_renshi_worker_speakers_once_runs_the_queued_imports(
    call, apps, categories, monkeypatch, capsys
):
    response = _post(call, "lecturers", LECTURERS, **ASYNC)
    assert response.status_code == 202, response.text
    settings = apps["speakers"].state.settings
    monkeypatch.setenv("SPEAKERS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SPEAKERS_IMPORT_SPOOL_DIR", str(settings.import_spool_dir))
    monkeypatch.setenv("SPEAKERS_ENVIRONMENT", "test")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        assert main(["worker", "speakers", "--once"]) == 0
    finally:  # the command configures the process's logging as a worker's
        root.handlers[:], level = saved
        root.setLevel(level)
    assert json.loads(capsys.readouterr().out) == {"service": "speakers", "jobs_run": 1}
    assert _names(apps) == ["王大明"]
