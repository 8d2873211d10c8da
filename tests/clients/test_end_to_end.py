"""Both generated clients against the whole system under `renshi up`: the Python
script (clients/python/e2e.py) and the TypeScript one (clients/typescript/src/e2e.ts,
compiled by tsc and run by node) each list persons, import learning records and
follow the import to its end, download an agency's compliance workbook and read
a comp-time balance, through the gateway, with the tokens a caller would hold."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clients.conftest import PYTHON_E2E, Generated
from tests.e2e.test_renshi_up import ROOT, _free_port_block, _token, _wait_ready

READY_BOUND_S = 600
# Each script's own run: sign-ins, an import followed to its end, a workbook.
SCRIPT_BOUND_S = 600


def _summary(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stdout + done.stderr
    assert "eyJ" not in done.stdout + done.stderr, "a token was written out"
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def _check(summary: dict[str, Any], language: str) -> None:
    assert summary["persons"] >= 1, (language, summary)
    assert summary["import"]["status"] == "completed", (language, summary)
    assert summary["import"]["inserted"] == 2, (language, summary)
    assert summary["workbook_bytes"] > 2000, (language, summary)
    assert summary["balance"]["minutes"] >= 0, (language, summary)


@pytest.mark.slow
@pytest.mark.xdist_group("renshi-up")
def test_the_generated_clients_run_end_to_end(
    tmp_path: Path,
    document: dict[str, Any],
    python_client: Generated,
    typescript_project: Generated,
) -> None:
    port = _free_port_block()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "DIRECTORY_"))}
    env["RENSHI_VAR_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "-m", "renshi", "up", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Ready means every service migrated, seeded and answering: on a busy
        # two-core machine that can take minutes, so the bound is generous.
        _wait_ready(f"{base}/readyz/services", process, time.monotonic() + READY_BOUND_S)
        # The clients were generated from the document this running gateway serves.
        assert httpx.get(f"{base}/openapi.json", timeout=30).json() == document
        callers = {
            **env,
            "RENSHI_URL": base,
            "RENSHI_HR_TOKEN": _token(env, "hr.a01"),
            "RENSHI_TRAINER_TOKEN": _token(env, "trainer.a01"),
            "RENSHI_IMPORTER_SECRET_FILE": str(tmp_path / "var" / "demo-importer-secret"),
        }
        python = subprocess.run(
            [sys.executable, str(PYTHON_E2E)],
            env={**callers, "PYTHONPATH": str(python_client.path)},
            capture_output=True,
            text=True,
            timeout=SCRIPT_BOUND_S,
            check=False,
        )
        _check(_summary(python), "python")

        project = typescript_project.path
        built = subprocess.run(
            [str(project / "node_modules" / ".bin" / "tsc")],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert built.returncode == 0, built.stdout + built.stderr
        typescript = subprocess.run(
            ["node", str(project / "build" / "e2e.js")],
            cwd=project,
            env=callers,
            capture_output=True,
            text=True,
            timeout=SCRIPT_BOUND_S,
            check=False,
        )
        _check(_summary(typescript), "typescript")
        # Two runs, two imports of their own, into one agency's records.
        assert _summary(typescript)["import"]["id"] != _summary(python)["import"]["id"]
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
