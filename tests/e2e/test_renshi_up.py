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

        token = subprocess.run(
            [sys.executable, "-m", "renshi", "token", "--account", "hr.a01"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
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
        auditor = subprocess.run(
            [sys.executable, "-m", "renshi", "token", "--account", "auditor"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        audit = httpx.get(
            f"http://127.0.0.1:{port}/audit/decisions",
            params={"subject": "hr.a01"},
            headers={"Authorization": f"Bearer {auditor}"},
            timeout=10,
        )
        assert audit.status_code == 200, audit.text
        assert [d["decision"] for d in audit.json()["items"]] == ["allow"]
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
