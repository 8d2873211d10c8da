"""Two replicas of every service behind two gateways, as real processes.

Each service has one fresh PostgreSQL database (the gateways one more, for
their audit) shared by both of its replicas; the gateways share one Redis for
their rate limits, under a key prefix of this run's own. Replica `a` is what
gateway `a` forwards to and replica `b` what gateway `b` forwards to, so that
requests alternating between the gateways land on both replicas. The keys, the
demo secrets and the import spool are in one var directory all processes
share, as a volume would be shared in a deployment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from gateway.issuer import issue_for
from gateway.keyring import load_keyring
from gateway.settings import GatewaySettings
from services.common.service_identity import demo_secret_file
from tests.databases import SERVICES, fresh_database
from tests.e2e.test_renshi_up import ROOT, _free_port_block

REPLICAS = ("a", "b")
# Twelve processes migrate nothing (the test did) but each imports its app; on a
# loaded two-core runner that is tens of seconds. A bound on the poll, not a wait.
READY_WITHIN = 240
STOP_WITHIN = 15
REDIS_URL = "redis://127.0.0.1:6379"


@dataclass
class Replica:
    name: str
    gateway: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def pid(self, process: str) -> int:
        return self.processes[process].pid


@dataclass
class Cluster:
    var: Path
    database_urls: dict[str, str]
    replicas: dict[str, Replica]
    rate_limit_prefix: str

    @property
    def gateways(self) -> list[str]:
        return [r.gateway for r in self.replicas.values()]

    def token(self, account: str, lifetime: int = 900) -> str:
        settings = GatewaySettings(keys_dir=self.var / "keys", environment="test")
        return issue_for(settings, account, lifetime)


def _base_env(var: Path) -> dict[str, str]:
    prefixes = ("GATEWAY_", "RENSHI_UP_", *(f"{s.upper()}_" for s in SERVICES))
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["RENSHI_VAR_DIR"] = str(var)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def replica_env(
    var: Path,
    database_urls: dict[str, str],
    gateway_port: int,
    service_ports: dict[str, int],
    settings: dict[str, str],
) -> dict[str, str]:
    """The environment of one replica's processes (its gateway and services)."""
    env = _base_env(var)
    peers = json.dumps({svc: f"http://127.0.0.1:{port}" for svc, port in service_ports.items()})
    env["GATEWAY_SERVICE_URLS"] = peers
    env["GATEWAY_DATABASE_URL"] = database_urls["gateway"]
    env["GATEWAY_PUBLIC_URL"] = f"http://127.0.0.1:{gateway_port}"
    for svc in SERVICES:
        prefix = svc.upper()
        env[f"{prefix}_DATABASE_URL"] = database_urls[svc]
        env[f"{prefix}_PEER_URLS"] = peers
        env[f"{prefix}_GATEWAY_URL"] = f"http://127.0.0.1:{gateway_port}"
        env[f"{prefix}_CLIENT_SECRET_FILE"] = str(demo_secret_file(svc, var))
    env.update(settings)
    return env


def _seed(var: Path, database_urls: dict[str, str]) -> None:
    """The demo directory and the secrets of its accounts, as `renshi up` seeds
    them; the gateway's keys, as the first gateway start would make them."""
    import secrets

    from services.common.db import make_engine
    from services.common.transactions import batch_transaction
    from services.directory import demo

    var.mkdir(parents=True, exist_ok=True)
    load_keyring(GatewaySettings(keys_dir=var / "keys", environment="test"))
    service_secrets = {svc: secrets.token_urlsafe(32) for svc in SERVICES}
    engine = make_engine(database_urls["directory"])
    try:
        with batch_transaction(engine) as session:
            created = demo.seed_demo(session, service_secrets=service_secrets)
    finally:
        engine.dispose()
    for svc in created:
        path = demo_secret_file(svc, var)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(service_secrets[svc])


def _start(argv: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "renshi", *argv],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_all_ready(urls: dict[str, tuple[str, subprocess.Popen[bytes]]], logs: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    waiting = dict(urls)
    last: dict[str, str] = {}
    with httpx.Client(timeout=2) as client:
        while waiting and time.monotonic() < deadline:
            for name, (url, process) in list(waiting.items()):
                if process.poll() is not None:
                    tail = (logs / f"{name}.log").read_text(errors="replace")[-2000:]
                    raise AssertionError(f"{name} exited early:\n{tail}")
                try:
                    answer = client.get(url)
                except httpx.HTTPError as exc:
                    last[name] = str(exc)
                    continue
                if answer.status_code == 200:
                    del waiting[name]
                else:
                    last[name] = answer.text
            if waiting:
                time.sleep(0.25)  # polling readiness probes, bounded by the deadline
    if waiting:
        raise AssertionError(f"not ready in time: { {n: last.get(n) for n in waiting} }")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WITHIN
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _forget_counts(prefix: str) -> None:
    """The run's rate-limit counters, which would otherwise live out their day."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def running_cluster(workdir: Path, seed: object = None, **settings: str) -> Iterator[Cluster]:
    """Databases made, migrated and seeded (`seed(database_urls)` adds the
    test's own rows before anything starts), then the twelve processes, until
    the block ends; `settings` are extra environment variables for all."""
    var = workdir / "var"
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(fresh_database(name, workdir))
            for name in (*SERVICES, "gateway")
        }
        _seed(var, urls)
        if callable(seed):
            seed(urls)
        base = _free_port_block(6 * len(REPLICAS))
        prefix = f"renshi-test-{uuid.uuid4().hex[:12]}"
        settings = {
            "GATEWAY_RATE_LIMIT_STORAGE": REDIS_URL,
            "GATEWAY_RATE_LIMIT_KEY_PREFIX": prefix,
            **settings,
        }
        stack.callback(_forget_counts, prefix)
        replicas: dict[str, Replica] = {}
        started: list[subprocess.Popen[bytes]] = []
        probes: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
        stack.callback(_stop, started)
        for n, name in enumerate(REPLICAS):
            gateway_port = base + 6 * n
            ports = {svc: gateway_port + i for i, svc in enumerate(SERVICES, start=1)}
            env = replica_env(var, urls, gateway_port, ports, settings)
            replica = Replica(name, f"http://127.0.0.1:{gateway_port}", env)
            for process, port in (("gateway", gateway_port), *ports.items()):
                label = f"{process}-{name}"
                log = stack.enter_context((logs / f"{label}.log").open("wb"))
                popen = _start(["serve", process, "--port", str(port)], env, log)
                started.append(popen)
                replica.processes[process] = popen
                probes[label] = (f"http://127.0.0.1:{port}/readyz", popen)
            replicas[name] = replica
        _wait_all_ready(probes, logs)
        yield Cluster(var, urls, replicas, prefix)
