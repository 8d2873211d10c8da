"""The image's one entrypoint (`deploy/Dockerfile`): its first argument picks
the process, the rest are passed on.

    gateway [--workers N]         the gateway (`renshi serve gateway`)
    directory | training | ...    one service (`renshi serve <service>`)
    migrate [DATABASE ...]        the migrations (`renshi migrate`), all databases by default
    job NAME [--as-of D] [--force]
                                  one job now (`renshi jobs run NAME`)
    scheduler                     every job on its schedule (`renshi jobs schedule`)
    worker SERVICE [--once]       a service's queued imports (`renshi worker`)
    check                         import every process's entry and exit (a smoke test)

Any other `renshi` command (`jobs run NAME`, `jobs list`, `openapi`) is run as
given. Servers listen on `RENSHI_HOST` (default 0.0.0.0: a container's address
is its own) and `RENSHI_PORT` (default 8000); the gateway runs
`GATEWAY_WORKERS` processes (default 1) unless `--workers` is given.

The process runs in this one (no shell in between), so the orchestrator's
SIGTERM reaches the server or the scheduler itself.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence

from gateway.settings import SERVICES

DEFAULT_PORT = "8000"
# `renshi` commands passed through unchanged.
PASSTHROUGH = ("jobs", "migrate", "worker", "openapi", "serve")
PROCESSES = ("gateway", *SERVICES, "migrate", "job", "scheduler", "worker", "check")


class UnknownProcess(ValueError):
    pass


def plan(argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """The `renshi` command line the entrypoint runs for `argv`."""
    if not argv:
        raise UnknownProcess(f"name the process: one of {', '.join(PROCESSES)}")
    what, rest = argv[0], list(argv[1:])
    if what == "renshi":
        return plan(rest, env)
    host = env.get("RENSHI_HOST") or "0.0.0.0"  # noqa: S104 - a container's own address
    port = env.get("RENSHI_PORT") or DEFAULT_PORT
    listen = ["--host", host, "--port", port]
    if what == "gateway":
        workers = [] if "--workers" in rest else ["--workers", env.get("GATEWAY_WORKERS") or "1"]
        return ["serve", "gateway", *listen, *workers, *rest]
    if what in SERVICES:
        return ["serve", what, *listen, *rest]
    if what == "job":
        return ["jobs", "run", *rest]
    if what == "scheduler":
        return ["jobs", "schedule", *rest]
    if what in PASSTHROUGH:
        return [what, *rest]
    raise UnknownProcess(f"unknown process {what!r}: one of {', '.join(PROCESSES)}")


def entries() -> dict[str, str]:
    """Every process's entry, imported as the process would import it: the
    server factories, the jobs of every service, the workers' imports and the
    migration environments. Returns what each resolved to."""
    from renshi.jobs import registry
    from services.common.migrate import MIGRATIONS, head_revisions

    found: dict[str, str] = {}
    cli = importlib.import_module("renshi.cli")
    found["gateway"] = f"{cli.served_gateway_app.__module__}.served_gateway_app"
    importlib.import_module("gateway.app")
    for service in SERVICES:
        factory = importlib.import_module(f"services.{service}.app").create_app
        found[service] = f"{factory.__module__}.create_app"
        importlib.import_module(f"services.{service}.api")
    found["jobs"] = ", ".join(sorted(registry()))
    for database in (*SERVICES, "gateway"):
        if not (MIGRATIONS / database / "env.py").exists():
            raise RuntimeError(f"no migrations for {database} under {MIGRATIONS}")
        found[f"migrate {database}"] = ", ".join(sorted(head_revisions(database)))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["check"]:
        for name, entry in entries().items():
            print(f"{name}: {entry}")
        return 0
    try:
        command = plan(args, os.environ)
    except UnknownProcess as exc:
        print(exc, file=sys.stderr)
        return 2
    from renshi.cli import main as renshi

    return renshi(command)


if __name__ == "__main__":
    raise SystemExit(main())
