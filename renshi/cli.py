"""`renshi` — run the system, migrate, issue development tokens, run the tests."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateway.settings import GATEWAY_PORT, SERVICES, GatewaySettings, service_urls
from services.common.http_server import PROTOCOL
from services.common.service_identity import demo_secret_file
from services.common.settings import ROOT, VAR_DIR


def service_settings(service: str, **overrides: Any) -> Any:
    module = importlib.import_module(f"services.{service}.settings")
    return getattr(module, f"{service.capitalize()}Settings")(**overrides)


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.common.migrate import downgrade, upgrade

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    databases = (*SERVICES, "gateway")
    unknown = set(args.services or ()) - set(databases)
    if unknown:
        print(f"unknown database(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for service in args.services or databases:
        if service == "gateway":
            url = GatewaySettings().database_url
        else:
            url = service_settings(service).database_url
        if args.revision.startswith("-") or args.revision == "base":
            downgrade(service, url, args.revision)
        else:
            upgrade(service, url, args.revision)
        print(f"{service}: migrated to {args.revision}")
    return 0


# uvicorn by default rewrites the client address from X-Forwarded-For when the
# peer is 127.0.0.1; the gateway decides whom to believe itself (trusted proxies,
# rightmost untrusted entry), so the server must hand it the socket peer unchanged.
# The protocol answers a request its parser refuses with problem+json, not text.
SERVER_OPTIONS: dict[str, Any] = {
    "log_config": None,
    "access_log": False,
    "proxy_headers": False,
    "timeout_graceful_shutdown": 5,
    "http": PROTOCOL,
    # One `date` (this server's) and no `server` on every response; the
    # gateway drops the upstream's own when it forwards one.
    "server_header": False,
    "date_header": True,
}


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from services.common.logs import configure_logging

    workers = args.workers
    if workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    if workers > 1 and args.name != "gateway":
        # A service's writer gates and per-engine limits hold within one process.
        print("--workers is for the gateway; a service runs as one process", file=sys.stderr)
        return 2
    if args.name == "gateway":
        settings = GatewaySettings()
        configure_logging("gateway", settings.log_level)
        # Each worker is a process of its own, spawned afresh: it builds its
        # app (with its own audit writer and usage recorder) through this
        # factory, which configures its logging first.
        factory = "renshi.cli:served_gateway_app"
        if workers > 1 and settings.rate_limit_storage.startswith(("memory", "async+memory")):
            print(
                f"note: rate limits are counted by each of the {workers} workers "
                "(GATEWAY_RATE_LIMIT_STORAGE=memory://); use redis:// for one count",
                file=sys.stderr,
            )
    else:
        configure_logging(args.name, service_settings(args.name).log_level)
        factory = f"services.{args.name}.app:create_app"
    if workers > 1:
        from renshi.workers import serve_workers

        # Each worker on a socket of its own (SO_REUSEPORT), so that the kernel
        # spreads connections over them; see renshi/workers.py.
        serve_workers(
            factory,
            factory=True,
            host=args.host,
            port=args.port,
            workers=workers,
            # The supervisor restarts a worker that does not answer its ping in
            # time; a worker still importing on a busy machine is not a hung one.
            timeout_worker_healthcheck=30,
            **SERVER_OPTIONS,
        )
        return 0
    uvicorn.run(factory, factory=True, host=args.host, port=args.port, **SERVER_OPTIONS)
    return 0


def served_gateway_app() -> Any:
    """The gateway as `renshi serve` runs it, in its one process or in each worker."""
    from gateway.app import create_app
    from services.common.logs import configure_logging

    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    return create_app(settings, freeze_after_start=True)


def _write_secret(path: Path, secret: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)


def seed_demo() -> None:
    """Seed the demo directory when it is empty. The client secrets of the demo
    importer and of each service's own account (`svc.<service>`) are made here
    and kept, readable by the owner only, in ./var/."""
    import secrets

    from sqlmodel import select

    from services.common.db import make_engine
    from services.common.transactions import batch_transaction
    from services.directory import demo
    from services.directory.models import Agency

    settings = service_settings("directory")
    engine = make_engine(settings.database_url)
    secret_file = VAR_DIR / "demo-importer-secret"
    service_secrets = {svc: secrets.token_urlsafe(32) for svc in SERVICES}
    with batch_transaction(engine) as session:
        empty = session.exec(select(Agency).limit(1)).first() is None
        secret = secrets.token_urlsafe(24) if empty else None
        created = demo.seed_demo(
            session,
            importer_secret=secret,
            service_secrets=service_secrets,
            national_id_key=settings.national_id_key,
        )
    engine.dispose()
    if secret is not None:
        _write_secret(secret_file, secret)
    # Only the secrets of accounts made now: an existing account keeps its own.
    for svc in created:
        _write_secret(demo_secret_file(svc, VAR_DIR), service_secrets[svc])


# Stopped in this order, each stage before the next begins: the gateway first,
# so that its last usage flush still reaches the directory; then the scheduler,
# whose jobs work on the services' databases; then the services together.
STOP_FIRST = ("gateway", "scheduler")


def cmd_up(args: argparse.Namespace) -> int:
    import asyncio

    from gateway.keyring import load_keyring
    from renshi.supervise import Backoff, Program, Supervisor, parse_procfile

    try:
        backoff = Backoff.from_env(os.environ)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    port = args.port
    # Checked before anything starts: a busy port would otherwise show only as
    # one failing process's line among the start-up output, after its back-off.
    taken = _taken_ports(
        {"gateway": port, **{svc: port + i for i, svc in enumerate(SERVICES, start=1)}}
    )
    if taken:
        print(
            f"port(s) already in use: {', '.join(taken)}. Stop what holds them, or start "
            f"on other ports: renshi up --port N (the gateway on N, the services on N+1..N+"
            f"{len(SERVICES)})",
            file=sys.stderr,
        )
        return 2
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    load_keyring(GatewaySettings())
    migrate_args = argparse.Namespace(services=None, revision="head")
    cmd_migrate(migrate_args)
    seed_demo()
    env = dict(os.environ)
    env["GATEWAY_PORT"] = str(port)
    env["GATEWAY_SERVICE_URLS"] = json.dumps(service_urls(port))
    env["RENSHI_VAR_DIR"] = str(VAR_DIR)
    # Lines reach the terminal as they are written, not when a buffer fills.
    env["PYTHONUNBUFFERED"] = "1"
    for i, svc in enumerate(SERVICES, start=1):
        env[f"{svc.upper()}_PORT"] = str(port + i)
        env[f"{svc.upper()}_PEER_URLS"] = json.dumps(service_urls(port))
        env[f"{svc.upper()}_GATEWAY_URL"] = f"http://127.0.0.1:{port}"
        env[f"{svc.upper()}_CLIENT_SECRET_FILE"] = str(demo_secret_file(svc, VAR_DIR))
    procfile = parse_procfile((ROOT / "deploy" / "Procfile").read_text(), env)
    # `renshi` runs on this runner's interpreter and environment, whatever PATH holds.
    renshi = (sys.executable, "-m", "renshi")
    programs = [
        Program(name, (*renshi, *argv[1:]) if argv[0] == "renshi" else argv, env)
        for name, argv in procfile.items()
    ]
    first = [[name] for name in STOP_FIRST if name in procfile]
    rest = [name for name in procfile if name not in STOP_FIRST]
    supervisor = Supervisor(
        programs,
        stop_order=[*first, rest],
        backoff=backoff,
        status_file=VAR_DIR / "up.json",
        stream=sys.stdout.buffer,
    )
    print(
        f"\nrenshi is starting: gateway at http://127.0.0.1:{port}  (API docs: /docs)\n"
        f"  token for a demo account:  uv run renshi token --account hr.a01\n"
        f"  then: curl -H 'Authorization: Bearer <token>' "
        f"http://127.0.0.1:{port}/api/directory/persons\n"
        f"  demo importer secret: {VAR_DIR / 'demo-importer-secret'}\n"
        f"  processes: {VAR_DIR / 'up.json'}; one that ends is started again\n"
        "Ctrl-C stops everything.\n",
        flush=True,
    )
    return asyncio.run(supervisor.run())


def cmd_token(args: argparse.Namespace) -> int:
    from gateway.issuer import issue_for

    settings = GatewaySettings()
    if settings.environment == "production":
        print(
            "renshi token is for development; production tokens come from the identity "
            "provider or /oauth/token",
            file=sys.stderr,
        )
        return 2
    account = _directory_account(args.account)
    if account is None:
        print(
            f"no account {args.account!r} in the directory; `renshi up` seeds the demo accounts",
            file=sys.stderr,
        )
        return 2
    kind, status = account
    if status != "active":
        print(f"account {args.account!r} is {status}: the gateway would refuse it", file=sys.stderr)
        return 2
    # The gateway refuses tokens that live longer than its maximum for the kind.
    longest = (
        settings.max_token_lifetime_human
        if kind == "human"
        else settings.max_token_lifetime_machine
    )
    if not 1 <= args.minutes * 60 <= longest:
        print(
            f"--minutes must be between 1 and {longest // 60} for a {kind} account "
            "(the gateway's maximum token lifetime)",
            file=sys.stderr,
        )
        return 2
    print(issue_for(settings, args.account, args.minutes * 60))
    return 0


def _directory_account(name: str) -> tuple[str, str] | None:
    """(kind, status) of an account in the directory's database, or None."""
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from services.common.db import make_engine
    from services.directory.models import Account

    engine = make_engine(service_settings("directory").database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(Account.__table__.c.kind, Account.__table__.c.status).where(  # type: ignore[attr-defined]
                    Account.__table__.c.name == name  # type: ignore[attr-defined]
                )
            ).first()
    except (OperationalError, ProgrammingError):
        return None  # no directory database yet
    finally:
        engine.dispose()
    return None if row is None else (row.kind, row.status)


def _taken_ports(ports: dict[str, int]) -> list[str]:
    """The processes whose port something else already listens on."""
    import socket

    taken = []
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(f"{port} ({name})")
    return taken


def cmd_openapi(args: argparse.Namespace) -> int:
    if args.action == "build":
        from renshi.service_documents import write_snapshots

        for path in write_snapshots():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    import tempfile

    from fastapi.testclient import TestClient

    from gateway.app import create_app

    with tempfile.TemporaryDirectory() as keys:
        app = create_app(GatewaySettings(keys_dir=Path(keys)))
        print(
            json.dumps(
                TestClient(app, client=("127.0.0.1", 1)).get("/openapi.json").json(),
                indent=2,
                ensure_ascii=False,
            )
        )
    return 0


def _postgres_reachable() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def cmd_test(args: argparse.Namespace) -> int:
    """Lint, type-check, then the suite on SQLite and on PostgreSQL."""
    steps: list[tuple[str, list[str], dict[str, str]]] = [
        ("ruff", ["ruff", "check", "."], {}),
        ("ruff format", ["ruff", "format", "--check", "."], {}),
        ("mypy", ["mypy", "renshi", "gateway", "services", "tests", "benchmarks"], {}),
    ]
    # loadgroup: tests marked with one xdist_group (those starting `renshi up`,
    # which compete for ports and both cores) run one after another on one
    # worker; the rest are spread as with the default.
    pytest = ["pytest", "-n", str(args.workers), "--dist", "loadgroup", *args.pytest_args]
    steps.append(("tests on SQLite", pytest, {"RENSHI_TEST_DATABASE": "sqlite"}))
    in_ci = os.environ.get("CI", "").lower() == "true"
    if _postgres_reachable() or in_ci:
        steps.append(("tests on PostgreSQL", pytest, {"RENSHI_TEST_DATABASE": "postgresql"}))
    else:
        print(
            "PostgreSQL is not reachable on 127.0.0.1:5432: its run is left out here "
            "(CI always runs it).",
            file=sys.stderr,
        )
    failed = []
    for label, command, extra_env in steps:
        if args.only and not any(word in label for word in args.only):
            continue
        print(f"\n=== {label}: {' '.join(command)}", flush=True)
        result = subprocess.run(  # noqa: S603 - fixed argument lists
            command, env={**os.environ, **extra_env}, cwd=ROOT, check=False
        )
        if result.returncode != 0:
            failed.append(label)
    print("\nall steps passed" if not failed else f"\nFAILED: {', '.join(failed)}")
    return 1 if failed else 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from renshi.jobs import AsOfRefused, parse_as_of, registry, run_one, run_scheduler, schedules

    if args.action == "schedule":
        from services.common.logs import configure_logging

        configure_logging("scheduler", os.environ.get("RENSHI_LOG_LEVEL", "INFO"))
        run_scheduler()
        return 0
    jobs = registry()
    if args.action == "list":
        timetable = schedules()
        for name in sorted(jobs):
            cron = timetable.get(name)
            print(f"{name}\t{cron.expression} (Asia/Taipei)" if cron else name)
        return 0
    if args.job not in jobs:
        known = ", ".join(sorted(jobs)) or "none"
        print(f"unknown job {args.job!r}; known jobs: {known}", file=sys.stderr)
        return 2
    try:
        as_of = parse_as_of(args.as_of) if args.as_of else None
        summary = run_one(args.job, as_of=as_of, force=args.force, jobs=jobs)
    except AsOfRefused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a service's queued imports that any worker may run (its portable
    ones), as a replica's lifespan worker does; `--once`: until none is left."""
    import asyncio
    import importlib

    from services.common.db import make_engine
    from services.common.importing.queue import ImportQueue, portable_imports
    from services.common.logs import configure_logging

    service = args.service
    # The app imports its routers, which declare its portable imports.
    importlib.import_module(f"services.{service}.app")
    module = importlib.import_module(f"services.{service}.settings")
    settings = getattr(module, f"{service.capitalize()}Settings")()
    configure_logging(f"{service}-worker", settings.log_level)
    if not portable_imports(service):
        print(f"{service} has no import a separate worker can run", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    queue = ImportQueue(engine, settings.import_spool_dir, service=service, settings=settings)

    async def drain() -> int:
        ran = 0
        while await queue.run_once() is not None:
            ran += 1
        return ran

    try:
        if args.once:
            print(json.dumps({"service": service, "jobs_run": asyncio.run(drain())}))
        else:
            asyncio.run(queue.run_forever(settings.import_worker_poll_seconds))
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()
    return 0


def _jobs_epilog() -> str:
    """The jobs and their schedules, for `renshi jobs --help`."""
    from renshi.jobs import describe, registry, schedules

    jobs, timetable = registry(), schedules()
    lines = ["jobs (schedule in Asia/Taipei):"]
    for name in sorted(jobs):
        cron = timetable.get(name)
        lines.append(f"  {name:<30} {cron.expression if cron else '-':<14} {describe(jobs[name])}")
    return "\n".join(lines)


JOBS_RUN_HELP = """\
Runs the job once, for the Taipei day given by --as-of (default today), and
prints its summary as JSON. Any day up to today may be given, to catch up
after an outage; a later day only when the job's service is not in production
(<SVC>_ENVIRONMENT is development or test). A day already run is skipped
unless --force is given. attendance.expire also runs every day missed since
its last run (at most 366 days back), each in turn."""


def build_parser(jobs_epilog: str = "") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="renshi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="migrate, seed the demo, run the gateway and every service")
    up.add_argument(
        "--port", type=int, default=GATEWAY_PORT, help="gateway port; services take the next five"
    )
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser("serve", help="run one process (as `renshi up` does)")
    serve.add_argument("name", choices=("gateway", *SERVICES))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gateway only: processes sharing the port, each with its own audit writer",
    )
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="run database migrations")
    migrate.add_argument(
        "services", nargs="*", help=f"any of {', '.join(SERVICES)}, gateway (default: all)"
    )
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="print a development token for an account")
    token.add_argument("--account", required=True)
    token.add_argument("--minutes", type=int, default=15)
    token.set_defaults(func=cmd_token)

    oas = sub.add_parser(
        "openapi",
        help="print the merged OpenAPI document, or `build` the services' snapshots the "
        "gateway reads",
    )
    oas.add_argument("action", nargs="?", choices=("show", "build"), default="show")
    oas.set_defaults(func=cmd_openapi)

    test = sub.add_parser("test", help="ruff, mypy and the test suite on SQLite and PostgreSQL")
    test.add_argument("--workers", default="2", help="pytest-xdist workers")
    test.add_argument("--only", nargs="*", help="run only steps whose label contains a word")
    test.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    test.set_defaults(func=cmd_test)

    raw = argparse.RawDescriptionHelpFormatter
    jobs = sub.add_parser(
        "jobs",
        help="scheduled jobs: run one, list them, or run each on its schedule",
        epilog=jobs_epilog,
        formatter_class=raw,
    )
    actions = jobs.add_subparsers(dest="action", required=True)
    run = actions.add_parser(
        "run",
        help="run one job now, for today or --as-of a day",
        description=JOBS_RUN_HELP,
        epilog=jobs_epilog,
        formatter_class=raw,
    )
    run.add_argument("job", help="the job's name, service.job (listed below)")
    run.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        default="",
        help="the Taipei day the run is for (default today); after today only outside production",
    )
    run.add_argument(
        "--force", action="store_true", help="run again a day already run (never one running)"
    )
    actions.add_parser("list", help="list the jobs and their schedules")
    actions.add_parser("schedule", help="run each job when due, until stopped")
    jobs.set_defaults(func=cmd_jobs)

    worker = sub.add_parser(
        "worker", help="run a service's queued imports (those any replica may run)"
    )
    worker.add_argument("service", choices=SERVICES)
    worker.add_argument("--once", action="store_true", help="run until none is queued, then stop")
    worker.set_defaults(func=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only `renshi jobs ...` imports every service's jobs to list them.
    epilog = _jobs_epilog() if argv[:1] == ["jobs"] else ""
    args = build_parser(epilog).parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
