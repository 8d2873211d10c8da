"""The whole system under `renshi up`, on the test run's database backend: on
SQLite its files in a temporary var directory, on PostgreSQL one fresh database
per service (the gateway keeps its audit in SQLite there). Tokens are minted in
process with the issuer key `renshi up` generated, as `renshi token` does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gateway.issuer import issue_for
from gateway.settings import GatewaySettings
from tests.databases import BACKEND, SERVICES, fresh_database
from tests.e2e.test_renshi_up import ROOT, _free_port_block, _wait_ready


@dataclass
class System:
    base: str
    var: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    database_urls: dict[str, str] = field(default_factory=dict)

    def token(self, account: str, lifetime: int = 900) -> str:
        settings = GatewaySettings(keys_dir=self.var / "keys", environment="test")
        return issue_for(settings, account, lifetime)

    def pids(self) -> dict[str, int]:
        """Each process's pid as the runner last recorded it (var/up.json)."""
        status: dict[str, Any] = json.loads((self.var / "up.json").read_text())
        processes = status.get("processes", status)
        return {name: int(entry["pid"]) for name, entry in processes.items() if entry.get("pid")}


@contextmanager
def running_system(workdir: Path, **settings: str) -> Iterator[System]:
    """`renshi up` on a free block of ports until the block ends; `settings`
    are extra environment variables for every process."""
    port = _free_port_block()
    var = workdir / "var"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GATEWAY_", *(f"{s.upper()}_" for s in SERVICES)))
    }
    env["RENSHI_VAR_DIR"] = str(var)
    env.update(settings)
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        if BACKEND == "postgresql":
            # Empty databases: `renshi up` migrates them itself, as it does its files.
            for svc in SERVICES:
                urls[svc] = stack.enter_context(fresh_database(svc, workdir, migrate=False))
                env[f"{svc.upper()}_DATABASE_URL"] = urls[svc]
        log = stack.enter_context((workdir / "up.log").open("wb"))
        process = subprocess.Popen(
            [sys.executable, "-m", "renshi", "up", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            # Every service too: the gateway is ready on its own, before the
            # services behind it, and a test's first request must not race them.
            _wait_ready(f"{base}/readyz/services", process, time.monotonic() + 180)
            yield System(base, var, env, process, urls)
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def create_account(system: System, admin: str, **fields: Any) -> None:
    """An account made by the administrator through the gateway, as an operator would."""
    answer = httpx.post(
        f"{system.base}/api/directory/accounts",
        json=fields,
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
