"""The person import as a job: 202 with `Prefer: respond-async`, listed at
/persons/imports, run by the worker after the request, its report read back."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, col, select

from services.common.importing.queue import ImportQueue, import_queue
from services.directory.models import Person
from tests.directory.conftest import IMPORTER


def stored(apps) -> set[str]:
    with Session(apps["directory"].state.engine) as session:
        return set(session.scalars(select(Person.id).where(col(Person.id).like("J%"))))


BODY = "id,name,agency_code,status\nJ001,甲一,A01,active\nJ002,,A01,active\n"


def test_a_person_import_with_prefer_is_202_and_runs_after_the_request(api, apps, demo):
    response = api.post(
        "/persons/import",
        as_=IMPORTER,
        content=BODY.encode(),
        headers={"Content-Type": "text/csv", "Prefer": "respond-async"},
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"imports/{job['id']}"
    assert stored(apps) == set()
    listed = api.get("/persons/imports", as_=IMPORTER, params={"status": "queued"})
    assert listed.status_code == 200, listed.text
    assert [j["id"] for j in listed.json()["items"]] == [job["id"]]

    assert asyncio.run(import_queue(apps["directory"]).run_once()) == job["id"]
    report = api.get(f"/persons/imports/{job['id']}", as_=IMPORTER).json()
    assert (report["status"], report["created"], report["failed"], report["rows"]) == (
        "completed",
        1,
        1,
        2,
    )
    assert report["progress"]["rows_done"] == 2
    assert stored(apps) == {"J001"}
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "name")]


def test_a_small_person_import_without_prefer_answers_in_its_request(api, demo):
    response = api.post(
        "/persons/import", as_=IMPORTER, content=BODY.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1


def test_another_replica_runs_a_queued_person_import(api, apps, demo):
    response = api.post(
        "/persons/import",
        as_=IMPORTER,
        content=BODY.encode(),
        headers={"Content-Type": "text/csv", "Prefer": "respond-async"},
    )
    assert response.status_code == 202, response.text
    app = apps["directory"]
    replica = ImportQueue(
        app.state.engine,
        app.state.settings.import_spool_dir,
        name="replica-2",
        service="directory",
        settings=app.state.settings,
    )
    assert asyncio.run(replica.run_once()) == response.json()["id"]
    assert stored(apps) == {"J001"}
