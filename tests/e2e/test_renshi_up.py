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


def _free_port_block(size: int = 6) -> int:
    for _ in range(50):
        base = random.randint(20_000, 40_000)
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
        ready = _wait_ready(f"http://127.0.0.1:{port}/readyz", process, time.monotonic() + 90)
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


def _training_reads_the_directory(base: str, env: dict[str, str], hr_token: str) -> None:
    """Calls from one service to another across processes: training exchanges the
    caller's token at the gateway and reads the directory with it."""
    from services.directory import national_id
    from services.directory.demo import PERSONS

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
