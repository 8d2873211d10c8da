"""Under `renshi up` a crashed service is started again while the rest keep
serving, and Ctrl-C stops the gateway first."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_renshi_up import READY_WITHIN, ROOT, _free_port_block, _token, _wait_ready

SERVICES = ("directory", "training", "certs", "attendance", "speakers")


def _processes(var: Path) -> dict[str, dict[str, object]]:
    processes: dict[str, dict[str, object]] = json.loads((var / "up.json").read_text())["processes"]
    return processes


def _until(condition, what: str, seconds: float = 30):
    """Poll `condition` until it returns something true, within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)  # polling a condition, bounded by the deadline
    raise AssertionError(f"not in {seconds} s: {what}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.ConnectError:
        return True
    return False


@pytest.mark.slow
@pytest.mark.xdist_group("renshi-up")
def test_a_killed_service_is_restarted_while_the_rest_keep_serving(tmp_path):
    port = _free_port_block()
    ports = {s: port + i for i, s in enumerate(SERVICES, start=1)}
    base = f"http://127.0.0.1:{port}"
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "DIRECTORY_"))}
    env["RENSHI_VAR_DIR"] = str(var)
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        # Output to a file, not a pipe nobody reads while the test runs: a full
        # pipe would block the runner.
        process = subprocess.Popen(
            [sys.executable, "-m", "renshi", "up", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(f"{base}/readyz/services", process, time.monotonic() + READY_WITHIN)
        hr = {"Authorization": f"Bearer {_token(env, 'hr.a01')}"}
        processes = _processes(var)
        killed = processes["training"]["pid"]
        assert isinstance(killed, int)

        # Hold the runner (SIGSTOP) while training is killed, so that it cannot
        # start it again before the system has been looked at without it.
        os.kill(process.pid, signal.SIGSTOP)
        try:
            os.kill(killed, signal.SIGKILL)
            training = f"http://127.0.0.1:{ports['training']}/healthz"
            _until(lambda: _refused(training), "training stops listening", 10)

            down = httpx.get(f"{base}/api/training/records", headers=hr, timeout=10)
            assert down.status_code == 503, down.text
            assert down.headers["content-type"] == "application/problem+json"
            assert down.json()["type"].endswith("/service-unavailable")
            ready = httpx.get(f"{base}/readyz/services", timeout=10)
            assert ready.status_code == 503
            assert ready.json()["services"] == {
                **{s: "ready" for s in SERVICES},
                "training": "unreachable",
                "gateway": "ready",
            }
            # The gateway's own readiness does not hang on the service that is down.
            own = httpx.get(f"{base}/readyz", timeout=10)
            assert own.status_code == 200, own.text
            assert own.json()["status"] == "ready"
            # The gateway and every other service go on serving.
            persons = httpx.get(f"{base}/api/directory/persons", headers=hr, timeout=10)
            assert persons.status_code == 200, persons.text
            for service in SERVICES:
                if service != "training":
                    url = f"http://127.0.0.1:{ports[service]}/healthz"
                    assert httpx.get(url, timeout=5).status_code == 200, service
        finally:
            os.kill(process.pid, signal.SIGCONT)

        # The runner notices, waits its first back-off and starts training again.
        _until(lambda: _answers(training), "training answers again")
        again = _processes(var)["training"]
        assert again["restarts"] == 1
        assert again["last_exit"] == "ended by SIGKILL"
        assert again["pid"] not in (None, killed)
        assert all(
            _processes(var)[s]["restarts"] == 0 for s in (*SERVICES, "gateway") if s != "training"
        )
        records = httpx.get(f"{base}/api/training/records", headers=hr, timeout=10)
        assert records.status_code == 200, records.text
        assert "ended by SIGKILL" in log.read_text()
    finally:
        # Ctrl-C in a terminal: SIGINT to the runner's process group.
        os.killpg(process.pid, signal.SIGINT)
        try:
            returncode = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError("renshi up did not stop within 20 s") from None
    text = log.read_text(errors="replace")
    assert returncode == 0, text[-3000:]

    system = [line.split("| ", 1)[1] for line in text.splitlines() if " system " in line[:20]]
    restart = next(s for s in system if s.startswith("training ended by SIGKILL"))
    assert restart.endswith("restarting in 1 s (restart 1)")

    def at(message: str) -> int:
        return next(i for i, line in enumerate(system) if line.startswith(message))

    # The gateway first, then the scheduler, then the services: each stage
    # signalled once the one before has ended, every one cleanly.
    assert (
        at("stopping gateway")
        < at("gateway stopped")
        < at("stopping scheduler")
        < at("scheduler stopped")
        < min(at(f"stopping {s}") for s in SERVICES)
    )
    for name in ("gateway", "scheduler", *SERVICES):
        assert system[at(f"{name} stopped")] in (
            f"{name} stopped (exit status 0)",
            f"{name} stopped (ended by SIGTERM)",
        )
    assert system[-1] == "all processes stopped"
    # The gateway's last usage flush reached the directory while it still ran.
    with contextlib.closing(sqlite3.connect(var / "directory.db")) as db:
        used = db.execute("SELECT role FROM role_usage WHERE account = 'hr.a01'").fetchall()
    assert used, "the gateway's usage of hr.a01 did not reach the directory"
