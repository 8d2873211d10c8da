"""The import worker a service app runs in its lifespan: a job answered 202 is
run without anyone calling `run_once`, and `<SVC>_IMPORT_WORKER=false` leaves it
queued. Waits on the job's status with a deadline, never a fixed sleep."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from services.directory.app import create_app
from services.directory.settings import DirectorySettings
from tests.databases import fresh_database

BODY = b'{"id": "W001", "name": "\\u738b", "agency_code": "NONE", "status": "active"}\n'
IMPORTER = {"sub": "importer.w", "kind": "machine", "agency_scope": ["A01"]}


def _app(url: str, keys, tmp_path: Path, *, worker: bool):
    settings = DirectorySettings(
        database_url=url,
        internal_public_key=keys.public_pem,
        environment="test",
        import_spool_dir=tmp_path / "spool",
        import_worker=worker,
        import_worker_poll_seconds=0.05,
    )
    return create_app(settings)


def _post(client: TestClient, token: str) -> int:
    response = client.post(
        "/persons/import",
        params={"format": "jsonl"},
        content=BODY,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/x-ndjson",
            "Prefer": "respond-async",
        },
    )
    assert response.status_code == 202, response.text
    job_id: int = response.json()["id"]
    return job_id


def _status(client: TestClient, token: str, job_id: int) -> str:
    response = client.get(
        f"/persons/imports/{job_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    assert status != "failed", response.json()["failure"]
    return status


def test_the_lifespan_worker_runs_a_queued_job_and_can_be_turned_off(
    tmp_path, internal_keys, internal_token
) -> None:
    token = internal_token("directory", permissions=["directory:persons:import"], **IMPORTER)
    with fresh_database("directory", tmp_path) as url:
        with TestClient(_app(url, internal_keys, tmp_path, worker=True)) as client:
            job_id = _post(client, token)
            deadline = time.monotonic() + 30
            while (status := _status(client, token, job_id)) in ("queued", "running"):
                assert time.monotonic() < deadline, "the worker did not run the job"
                time.sleep(0.02)
            assert status == "completed"
        with TestClient(_app(url, internal_keys, tmp_path, worker=False)) as client:
            idle = _post(client, token)
            assert _status(client, token, idle) == "queued"
