"""Long imports as jobs, measured against the same import in its request.

One roster file of N rows (attendance's `POST /roster/import`, JSON Lines) is
imported twice into a fresh SQLite database, the app in process:

  1. in its request (the baseline): seconds until the answer, all rows written;
  2. as a job (`Prefer: respond-async`): seconds until the 202 (the body
     spooled), then seconds for the worker to run it;

and prints each, the rows per second, and the job's total over the baseline
(the spool's cost: the ratio stays near 1), with the 202's share of it (how
soon a client is let go).

    uv run python benchmarks/imports_as_jobs.py [--rows N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.keys import generate  # noqa: E402
from services.attendance.app import create_app  # noqa: E402
from services.attendance.settings import AttendanceSettings  # noqa: E402
from services.common.importing.queue import import_queue  # noqa: E402
from services.common.internal_auth import mint_internal_token  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402
from services.common.principal import Principal  # noqa: E402


def body(rows: int, prefix: str) -> bytes:
    lines = (
        json.dumps({"person_id": f"{prefix}{i:07d}", "agency_code": "A01"}) for i in range(rows)
    )
    return ("\n".join(lines) + "\n").encode()


async def measure(rows: int, workdir: Path) -> dict[str, float]:
    url = f"sqlite:///{workdir / 'attendance.db'}"
    upgrade("attendance", url)
    keys = generate()
    settings = AttendanceSettings(
        database_url=url,
        internal_public_key=keys.public_pem,
        environment="test",
        import_spool_dir=workdir / "spool",
        import_worker=False,
    )
    app = create_app(settings)
    principal = Principal(
        sub="bench.importer",
        kind="machine",
        agency_scope=["A01"],
        permissions=["attendance:roster:import"],
    )

    def fresh() -> dict[str, str]:
        # Internal tokens are short-lived: one per request.
        token = mint_internal_token(
            principal, audience="attendance", private_pem=keys.private_pem, kid=keys.kid
        )
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as c:
        started = time.perf_counter()
        answer = await c.post("/roster/import", content=body(rows, "S"), headers=fresh())
        in_request = time.perf_counter() - started
        assert answer.status_code == 200 and answer.json()["created"] == rows, answer.text

        started = time.perf_counter()
        accepted = await c.post(
            "/roster/import",
            content=body(rows, "Q"),
            headers={**fresh(), "Prefer": "respond-async"},
        )
        to_accepted = time.perf_counter() - started
        assert accepted.status_code == 202, accepted.text
        started = time.perf_counter()
        job_id = await import_queue(app).run_once()
        worker = time.perf_counter() - started
        job = (await c.get(f"/roster/imports/{job_id}", headers=fresh())).json()
        assert (job["status"], job["created"]) == ("completed", rows), job
    return {"in_request": in_request, "to_202": to_accepted, "worker": worker}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(measure(args.rows, Path(tmp)))
    base, to_202, worker = figures["in_request"], figures["to_202"], figures["worker"]
    job = to_202 + worker
    n = args.rows
    print(f"rows: {n}")
    print(f"baseline, in its request: {base:.2f} s ({n / base:,.0f} rows/s)")
    print(f"as a job: 202 after {to_202:.3f} s, worker {worker:.2f} s ({n / job:,.0f} rows/s)")
    print(f"ratio job/baseline: {job / base:.2f}")
    print(f"202 share of the job: {to_202 / job:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
