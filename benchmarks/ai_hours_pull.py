"""The nightly AI-hours pull (`certs.pull-ai-hours`) at national shape, its time
split into parts.

Workload (issue 10 item 8, issue 15 item 7), PostgreSQL only: directory,
training and certs loaded as `benchmarks/national.py` loads them (its loaders:
persons spread over agencies, 9 learning records a person and the AI hours
derived from them, 1.5 certificates a person, talent roles and talent persons),
then the gateway and every service as processes of their own (`renshi serve`),
then
  1. the whole first pull (every person) as the job does it, as `svc.certs`
     through the gateway, in this process, with each page's time split into
     the fetch (training, its read log, the JSON page, the gateway) and the
     certs store's steps (the upserts, the recount, the commit);
  2. the baseline: one raw SELECT of the same rows joined to the roster in the
     feed's order on training's database, fetched whole in this process;
  3. the next pull with nothing changed.
Target: <= 60 s per 300,000 persons.

Run: uv run python benchmarks/ai_hours_pull.py [--scale 0.3]   (1 = 1,000,000 persons)
     [--py-spy DIR]   (py-spy profiles of the training and gateway processes)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import national  # noqa: E402
from benchmarks._pg import load_average, scratch_databases, vacuum_analyze  # noqa: E402
from gateway.settings import SERVICES  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402

FULL_PERSONS = 300_000
TARGET_SECONDS = 60.0  # for FULL_PERSONS
BASELINE = (
    "SELECT a.person_id, a.year, a.basic_centi, a.advanced_centi, a.changed_at, "
    "r.agency_code, r.unit_id FROM ai_hours a "
    "LEFT JOIN roster r ON r.person_id = a.person_id "
    "ORDER BY a.changed_at, a.person_id, a.year"
)

PARTS: dict[str, float] = defaultdict(float)


@contextmanager
def timed(part: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        PARTS[part] += time.perf_counter() - started


def wrap(owner: Any, name: str, part: str) -> None:
    """Time every call of `owner.name` into PARTS[part]."""
    inner: Callable[..., Any] = getattr(owner, name)

    def timed_call(*args: Any, **kwargs: Any) -> Any:
        with timed(part):
            return inner(*args, **kwargs)

    setattr(owner, name, timed_call)


def baseline(url: str) -> tuple[float, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        started = time.perf_counter()
        fetched = conn.execute(text(BASELINE)).fetchall()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, len(fetched)


def pull_in_process(env: dict[str, str]) -> dict[str, Any]:
    """The job's pull, in this process, every part timed."""
    os.environ.update(env)
    from services.certs import jobs
    from services.certs.service import ai_hours_pull
    from services.certs.store import person_ai_hours, person_certificates, talent_persons
    from services.certs.training_client import TrainingClient

    wrap(TrainingClient, "ai_hours_page", "fetch a page (training, gateway, JSON)")
    wrap(person_ai_hours, "upsert", "certs: upsert person_ai_hours")
    wrap(talent_persons, "upsert", "certs: upsert talent_persons")
    if hasattr(talent_persons, "known"):
        wrap(talent_persons, "known", "certs: persons already known")
    wrap(person_certificates, "recount", "certs: recount certificates")
    wrap(ai_hours_pull, "_store_page", "certs: store a page (all steps)")
    opened = ai_hours_pull.batch_transaction  # type: ignore[attr-defined]

    @contextmanager
    def transaction(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with timed("certs: a page's transaction (store + commit)"), opened(*args, **kwargs) as s:
            yield s

    ai_hours_pull.batch_transaction = transaction  # type: ignore[attr-defined]
    started = time.perf_counter()
    summary = jobs.pull_ai_hours()
    PARTS["whole pull"] = time.perf_counter() - started
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.03, help="1 = 1,000,000 persons")
    parser.add_argument("--py-spy", type=Path, default=None, help="a folder for profiles")
    args = parser.parse_args()
    size = national.Size.at(args.scale)
    print(f"{size.persons:,} persons, {size.persons * 3 // 2:,} certificates")
    print(f"{os.cpu_count()} CPUs; load average {load_average()} at the start", flush=True)
    var = Path(tempfile.mkdtemp(prefix="renshi_ai_pull_"))
    with scratch_databases(SERVICES, "aipull") as urls:
        for service, url in urls.items():
            upgrade(service, url)
        port = national.port_block()
        env = national.system_env(urls, var, port)
        subprocess.run([sys.executable, "-c", national.BOOTSTRAP], cwd=ROOT, env=env, check=True)
        for service, loader in (
            ("directory", national.load_directory),
            ("training", national.load_training),
            ("certs", national.load_certs),
        ):
            engine = create_engine(urls[service])
            with engine.begin() as conn:
                loader(conn, size)
            engine.dispose()
            vacuum_analyze(urls[service])
        print(f"loaded; load average {load_average()}", flush=True)
        base_s, base_rows = baseline(urls["training"])
        system = national.System(env, var, port)
        spies: list[subprocess.Popen[bytes]] = []
        try:
            if args.py_spy is not None:
                args.py_spy.mkdir(parents=True, exist_ok=True)
                # The processes' order: the gateway, then SERVICES.
                for name, proc in zip(("gateway", *SERVICES), system.procs, strict=True):
                    if name in ("gateway", "training"):
                        spies.append(
                            subprocess.Popen(
                                [
                                    "py-spy",
                                    "record",
                                    "--pid",
                                    str(proc.pid),
                                    "--format",
                                    "raw",
                                    "--output",
                                    str(args.py_spy / f"{name}.txt"),
                                    "--nonblocking",
                                ],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                            )
                        )
            summary = pull_in_process(env)
            whole = PARTS["whole pull"]
            started = time.perf_counter()
            from services.certs import jobs

            again = jobs.pull_ai_hours()
            again_s = time.perf_counter() - started
        finally:
            for spy in spies:
                spy.send_signal(2)
                spy.wait(timeout=30)
            system.stop()
    pages = summary.get("pages", 0) or 1
    target = TARGET_SECONDS * size.persons / FULL_PERSONS
    print(f"\npull: {summary['rows']:,} rows in {summary['pages']} pages")
    for part, seconds in sorted(PARTS.items(), key=lambda kv: -kv[1]):
        print(f"  {part:42s} {seconds:8.2f} s  ({seconds / pages * 1000:8.0f} ms a page)")
    print(
        f"  whole pull {whole:.2f} s, {summary['rows'] / whole:,.0f} rows/s "
        f"(target <= {target:.1f} s: {'met' if whole <= target else 'MISSED'})"
    )
    print(
        f"  raw SELECT baseline {base_s:.2f} s ({base_rows:,} rows); ratio {whole / base_s:.1f} x"
    )
    print(f"  next pull, no change {again_s * 1000:.0f} ms ({again['rows']} rows)")
    print(f"load average {load_average()} at the end")


if __name__ == "__main__":
    main()
