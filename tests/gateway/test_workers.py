"""`renshi serve gateway --workers 2`: two processes on one port, each with its
own audit writer and usage recorder; every decision is audited exactly once
and every usage note reaches the directory, whichever worker took the request,
and both are written out when the gateway is stopped."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy import select as sql_select

from gateway.audit import decisions
from gateway.issuer import issue_token
from gateway.keys import generate
from gateway.settings import SERVICES
from services.common.db import normalise_url
from services.common.timeutil import today_taipei
from tests.databases import fresh_database
from tests.gateway.live import all_at_once, free_port, serve

ROOT = Path(__file__).resolve().parents[2]
ROUTE = "/api/training/audit/personal-data-reads"
ACCOUNT = {
    "account": "carol",
    "kind": "human",
    "status": "active",
    "person_id": "P-carol",
    "agency_code": "A01",
    "agency_scope": ["A01"],
    "roles": ["security_auditor"],
    "permissions": ["training:audit:read"],
    "allowed_networks": [],
    "person_status": "active",
}


def _upstream(posts: list[dict[str, Any]]) -> Any:
    """The directory (account look-ups, usage reports) and training's route."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if path == "/principals/usage":
            posts.append(json.loads(body))
            answer: Any = {"entries": 0, "unknown_accounts": 0, "roles_recorded": 0}
        elif path.startswith("/principals/"):
            answer = ACCOUNT
        else:
            answer = {"items": [], "next_cursor": None, "limit": 50}
        data = json.dumps(answer).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    return app


@pytest.fixture
def audit_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database("gateway", tmp_path) as url:
        yield url


def _wait_for_workers(proc: subprocess.Popen[bytes], count: int, deadline: float) -> None:
    """Read the gateway's log until `count` worker processes have started (the
    port listens once the first of them has finished starting: calls retry
    their connection until then)."""
    assert proc.stderr is not None
    seen, buffer = 0, b""
    end = time.monotonic() + deadline
    while seen < count:
        remaining = end - time.monotonic()
        if remaining <= 0 or proc.poll() is not None:
            raise AssertionError(f"{seen} of {count} workers started: {buffer[-2000:]!r}")
        ready, _, _ = select.select([proc.stderr], [], [], remaining)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 65536)
            buffer += chunk
            seen = buffer.count(b"Started server process")


def _workers(pid: int) -> list[int]:
    """The worker processes under the supervisor `pid` (not multiprocessing's
    resource tracker, its child too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) != pid:
                continue
            command = (entry / "cmdline").read_bytes()
            if b"spawn_main" in command and b"resource_tracker" not in command:
                found.append(int(entry.name))
    return found


def _sockets_on(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets on local `port` in `state` (01 established, 0A listening)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                # local address as HEX_IP:HEX_PORT
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                    inodes.add(fields[9])
    return inodes


def _wait_listening(port: int, count: int, deadline: float) -> None:
    """Until `count` sockets listen on `port`: a worker listens once it has started."""
    end = time.monotonic() + deadline
    while len(_sockets_on(port, "0A")) < count:
        if time.monotonic() > end:
            raise AssertionError(f"fewer than {count} sockets listen on {port}")
        time.sleep(0.05)


def _established_by(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections to `port` each process holds."""
    inodes = _sockets_on(port, "01")
    held = {}
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        links = [os.readlink(fd) for fd in fds.iterdir()]
        held[pid] = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
    return held


def _open_kept_alive(port: int, count: int) -> list[socket.socket]:
    """`count` connections opened at once, as a load generator does, each kept
    open after one answered request (so the worker that accepted it holds it)."""
    conns = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    for conn in conns:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: gateway\r\n\r\n")
    for conn in conns:
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
    return conns


def test_two_workers_audit_every_decision_once_and_report_all_usage(
    tmp_path: Path, audit_url: str
) -> None:
    posts: list[dict[str, Any]] = []
    issuer, internal = generate(), generate()
    port = free_port()
    with serve(_upstream(posts), lifespan="off") as upstream:
        env = {
            **os.environ,
            "RENSHI_VAR_DIR": str(tmp_path),
            "GATEWAY_ENVIRONMENT": "test",
            "GATEWAY_KEYS_DIR": str(tmp_path / "keys"),
            "GATEWAY_ISSUER_PRIVATE_KEY": issuer.private_pem,
            "GATEWAY_INTERNAL_PRIVATE_KEY": internal.private_pem,
            "GATEWAY_DATABASE_URL": audit_url,
            "GATEWAY_SERVICE_URLS": json.dumps({s: upstream for s in SERVICES}),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "renshi", "serve", "gateway", "--port", str(port),
             "--workers", "2"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            _wait_for_workers(proc, 2, deadline=180)
            workers = _workers(proc.pid)
            # Each worker accepts on a socket of its own (SO_REUSEPORT): a burst
            # of connections is spread over both, not all taken by the first
            # to wake (32 on one of two by chance: one in 2^31).
            _wait_listening(port, 2, deadline=180)
            burst = _open_kept_alive(port, 32)
            spread = _established_by(workers, port)
            for kept in burst:
                kept.close()
            token = issue_token(
                issuer, account="carol", issuer="renshi", audience="renshi-api", lifetime=600
            )
            ids = [f"workers-{uuid.uuid4().hex}" for _ in range(96)]

            def call(request_id: str) -> int:
                # A connection of its own each, so that both workers take some.
                headers = {
                    "Authorization": f"Bearer {token}",
                    "X-Request-ID": request_id,
                    "Connection": "close",
                }
                url = f"http://127.0.0.1:{port}{ROUTE}"
                with httpx.Client(transport=httpx.HTTPTransport(retries=8), timeout=30) as c:
                    return c.get(url, headers=headers).status_code

            statuses: list[int] = []
            for start in range(0, len(ids), 24):
                batch = ids[start : start + 24]
                statuses += all_at_once([lambda i=i: call(i) for i in batch])  # type: ignore[misc]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)

    assert statuses == [200] * len(ids)
    assert len(workers) == 2
    assert sum(spread.values()) == 32
    assert all(held >= 1 for held in spread.values()), spread
    engine = create_engine(normalise_url(audit_url))
    with engine.connect() as conn:
        rows = conn.execute(
            sql_select(decisions.c.request_id, decisions.c.decision, decisions.c.subject)
        ).all()
    engine.dispose()
    audited = [r.request_id for r in rows if r.request_id in set(ids)]
    # Every decision once: none lost at shutdown, none written twice.
    assert sorted(audited) == sorted(ids)
    assert {(r.decision, r.subject) for r in rows if r.request_id in set(ids)} == {
        ("allow", "carol")
    }
    # Each worker that took requests reported its own notes before it stopped.
    assert 1 <= len(posts) <= 2
    today = today_taipei().isoformat()
    for post in posts:
        assert post["entries"] == [
            {"account": "carol", "permission": "training:audit:read", "used_on": today}
        ]
