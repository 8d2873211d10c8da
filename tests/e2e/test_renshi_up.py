"""`renshi up` brings the whole system up on SQLite and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
# Six processes each migrate and start: on a loaded two-core runner that took
# over 90 s once. A bound on the readiness poll, not a wait.
READY_WITHIN = 300


def _free_port_block(size: int = 6) -> int:
    for _ in range(50):
        # Below the kernel's ephemeral range (32768 and up here): a port bound
        # to 0 elsewhere in the suite, or an outgoing connection, never takes
        # one of the block between the check and the bind.
        base = random.randint(20_000, 32_000)
        sockets = []
        try:
            for port in range(base, base + size):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free block of ports")


def _wait_ready(url: str, process: subprocess.Popen, deadline: float) -> httpx.Response:
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        assert process.poll() is None, "renshi up exited early"
        try:
            last = httpx.get(url, timeout=2)
            if last.status_code == 200:
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.25)  # polling a readiness probe, bounded by the deadline
    raise AssertionError(f"not ready in time: {last.text if last else 'no answer'}")


@pytest.mark.slow
@pytest.mark.xdist_group("renshi-up")
def test_up_serves_through_the_gateway_and_stops_on_ctrl_c(tmp_path):
    port = _free_port_block()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "DIRECTORY_"))}
    env["RENSHI_VAR_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "-m", "renshi", "up", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ready = _wait_ready(
            f"http://127.0.0.1:{port}/readyz/services", process, time.monotonic() + READY_WITHIN
        )
        services = ready.json()["services"]
        assert services == {
            s: "ready"
            for s in ("directory", "training", "certs", "attendance", "speakers", "gateway")
        }
        for name in services:
            assert (tmp_path / "var" / f"{name}.db").exists()

        token = _token(env, "hr.a01")
        response = httpx.get(
            f"http://127.0.0.1:{port}/api/directory/persons",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert response.json()["items"], "the demo directory was not seeded"
        assert (
            httpx.get(f"http://127.0.0.1:{port}/api/directory/persons", timeout=10).status_code
            == 401
        )
        # The gateway recorded its decisions; the auditor can read them.
        auditor = _token(env, "auditor")
        audit = httpx.get(
            f"http://127.0.0.1:{port}/audit/decisions",
            params={"subject": "hr.a01"},
            headers={"Authorization": f"Bearer {auditor}"},
            timeout=10,
        )
        assert audit.status_code == 200, audit.text
        assert [d["decision"] for d in audit.json()["items"]] == ["allow"]
        _the_roster_job_acts_as_training(f"http://127.0.0.1:{port}", env, tmp_path / "var")
        _training_reads_the_directory(f"http://127.0.0.1:{port}", env, token)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        started = time.monotonic()
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            raise AssertionError("renshi up did not stop within 10 s") from None
    assert time.monotonic() - started < 10
    text = output.decode(errors="replace")
    assert f"http://127.0.0.1:{port}" in text
    assert "eyJ" not in text, "a token was written to the logs"


def _token(env: dict[str, str], account: str, minutes: int | None = None) -> str:
    """A token from `renshi token` (its default lifetime unless `minutes`)."""
    lifetime = [] if minutes is None else ["--minutes", str(minutes)]
    return subprocess.run(
        [sys.executable, "-m", "renshi", "token", "--account", account, *lifetime],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _the_roster_job_acts_as_training(base: str, env: dict[str, str], var: Path) -> None:
    """`renshi jobs run training.sync-rosters` against the running system: the job
    signs in as svc.training with the secret the demo seed wrote, reads every
    agency's roster through the gateway, and training's roster becomes the
    directory's demo persons in service."""
    import json
    import sqlite3

    from services.directory.demo import PERSONS

    secret_file = var / "svc.training-secret"
    assert secret_file.stat().st_mode & 0o077 == 0, "the secret is readable by others"
    job_env = {k: v for k, v in env.items() if not k.startswith("TRAINING_")}
    job_env["TRAINING_GATEWAY_URL"] = base
    job_env["TRAINING_CLIENT_SECRET_FILE"] = str(secret_file)
    # The scheduler `renshi up` started catches up on today's runs and may be
    # running this job right now: then this run is skipped; poll, with a deadline.
    deadline = time.monotonic() + 60
    while True:
        run = subprocess.run(
            [sys.executable, "-m", "renshi", "jobs", "run", "training.sync-rosters"],
            cwd=ROOT,
            env=job_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        summary = json.loads(run.stdout)
        if summary.get("skipped") != "running elsewhere" or time.monotonic() > deadline:
            break
        time.sleep(0.5)  # polling the claim, bounded by the deadline
    assert "eyJ" not in run.stdout + run.stderr, "a token was written out"
    assert secret_file.read_text().strip() not in run.stdout + run.stderr
    assert summary["agencies"] == summary["synced"] == 4 and summary["failed"] == {}, summary
    assert summary["listed"] == len(PERSONS)

    # The directory's persons in service, as HR of A01 and its subordinates reads them.
    hr = {"Authorization": f"Bearer {_token(env, 'hr.a01')}"}
    persons = httpx.get(
        f"{base}/api/directory/persons",
        params={"status": "active", "limit": 500},
        headers=hr,
        timeout=10,
    ).json()["items"]
    directory = {
        p["id"]: (p["agency_code"], "" if p["unit_id"] is None else str(p["unit_id"]))
        for p in persons
    }
    assert {pid: agency for pid, (agency, _) in directory.items()} == {p[0]: p[2] for p in PERSONS}
    with sqlite3.connect(var / "training.db") as db:
        roster = {
            pid: (agency, unit)
            for pid, agency, unit in db.execute(
                "SELECT person_id, agency_code, unit_id FROM roster"
            )
        }
    assert roster == directory

    # The gateway audited the job's directory reads with its own account as subject.
    auditor = {"Authorization": f"Bearer {_token(env, 'auditor')}"}
    wanted = {"/api/directory/agencies", "/api/directory/agencies/{code}/roster"}
    while True:
        decisions = httpx.get(
            f"{base}/audit/decisions",
            params={"subject": "svc.training", "limit": 500},
            headers=auditor,
            timeout=10,
        ).json()["items"]
        # Its sign-in at /oauth/token is audited under its name too.
        reads = [d for d in decisions if d["decision"] == "allow" and d["route"] != "/oauth/token"]
        if len(reads) >= 5 or time.monotonic() > deadline:
            break
        time.sleep(0.25)  # audit rows are written in batches; bounded by the deadline
    assert {d["route"] for d in reads} == wanted
    assert {d["account_kind"] for d in reads} == {"service"}
    assert sum(d["route"].endswith("/roster") for d in reads) >= 4


def _training_reads_the_directory(base: str, env: dict[str, str], hr_token: str) -> None:
    """Calls from one service to another across processes: training exchanges the
    caller's token at the gateway and reads the directory with it."""
    from services.directory.demo import PERSONS
    from services.directory.domain import national_id

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    in_service = httpx.get(
        f"{base}/api/directory/persons",
        params={"agency": "A01", "status": "active", "limit": 500},
        headers=auth(hr_token),
        timeout=10,
    ).json()["items"]
    sync = httpx.post(
        f"{base}/api/training/roster/agencies/A01/sync", headers=auth(hr_token), timeout=30
    )
    assert sync.status_code == 200, sync.text
    assert sync.json()["listed"] == len(in_service) > 0

    trainer = _token(env, "trainer.a01", 30)
    put = httpx.put(
        f"{base}/api/training/categories/C01",
        json={"name": "人文素養"},
        headers=auth(trainer),
        timeout=10,
    )
    assert put.status_code in (200, 201), put.text
    # The e-learning importer names a person by national ID only; the directory,
    # which alone holds the hash key, matches it.
    person, stem = next((p[0], p[-1]) for p in PERSONS if p[2] == "A01")
    number = national_id.with_check_digit(stem)
    body = (
        "external_id,national_id,course_id,course_title,category,topics,hours,completed_at\n"
        f"E2E-1,{number},AI-101,生成式AI入門,C01,ai_basic,2,2026-03-02\n"
    )
    imported = httpx.post(
        f"{base}/api/training/imports",
        params={"source": "elearn", "format": "csv"},
        content=body.encode(),
        headers={**auth(_token(env, "importer.elearn", 10)), "Content-Type": "text/csv"},
        timeout=30,
    )
    assert imported.status_code in (200, 201), imported.text
    job = imported.json()
    assert (job["inserted"], job["failed"]) == (1, 0), job
    records = httpx.get(
        f"{base}/api/training/records",
        params={"person_id": person},
        headers=auth(hr_token),
        timeout=10,
    )
    assert records.status_code == 200, records.text
    assert [r["external_id"] for r in records.json()["items"]] == ["E2E-1"]
