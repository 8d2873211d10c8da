"""deploy/compose.yaml: `docker compose config` where the compose plugin is
installed; everywhere, its structure read with PyYAML (anchors and merge keys
resolved as compose resolves them): every process, the migration step they
wait for, health checks, one database per service on one server, Redis, the
scheduler and the import workers, and only settings the processes read."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from gateway.settings import SERVICES
from renshi import manifests
from renshi.container import PROCESSES
from services.common.importing.queue import portable_imports
from tests.deploy.kube import ROOT
from tests.deploy.settings_names import assert_known_setting, setting_fields

COMPOSE = ROOT / "deploy" / "compose.yaml"
EXAMPLE_ENV = ROOT / "deploy" / "compose.env.example"
INIT_SQL = ROOT / "deploy" / "compose" / "postgres-init.sql"
SERVERS = ("gateway", *SERVICES)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _renshi(services) -> dict[str, dict[str, Any]]:
    """The containers that run the renshi image."""
    return {name: s for name, s in services.items() if "build" in s}


def _compose_plugin() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    found = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    return found.returncode == 0


# The keys this file may use, as the Compose specification names them.
TOP_LEVEL = {"name", "services", "volumes", "networks", "secrets", "configs"}
SERVICE_KEYS = {
    "image", "build", "command", "environment", "volumes", "ports", "depends_on",
    "healthcheck", "restart", "read_only", "tmpfs", "cap_drop", "security_opt", "init",
}  # fmt: skip
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def test_the_file_is_valid_compose(compose):
    """`docker compose config` where the plugin is installed; without it, the
    keys and conditions the specification allows."""
    if _compose_plugin():
        done = subprocess.run(
            ["docker", "compose", "--env-file", str(EXAMPLE_ENV), "-f", str(COMPOSE), "config"],
            capture_output=True,
            text=True,
            check=False,
            env={
                "POSTGRES_PASSWORD": "x",
                "DIRECTORY_NATIONAL_ID_KEY": "y",
                "PATH": "/usr/bin:/bin",
            },
        )
        assert done.returncode == 0, done.stderr
    assert {k for k in compose if not k.startswith("x-")} <= TOP_LEVEL
    for name, service in compose["services"].items():
        assert set(service) <= SERVICE_KEYS, f"{name}: {set(service) - SERVICE_KEYS}"
        assert "image" in service, name
        for dependency, how in service.get("depends_on", {}).items():
            assert dependency in compose["services"], f"{name} waits for unknown {dependency}"
            assert how["condition"] in CONDITIONS, name
        for volume in service.get("volumes", []):
            if isinstance(volume, str) and not volume.startswith("."):
                assert volume.split(":")[0] in compose["volumes"], f"{name}: {volume}"


def test_every_process_and_the_backing_servers_are_there(services):
    assert {*SERVERS, "postgres", "redis", "migrate", "scheduler"} <= set(services)
    for name in SERVERS:
        assert services[name]["command"][0] == name
    assert services["gateway"]["command"] == ["gateway", "--workers", "2"]
    assert services["scheduler"]["command"] == ["scheduler"]
    assert services["migrate"]["command"] == ["migrate"]
    for service in _renshi(services).values():
        assert service["command"][0] in PROCESSES
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}


def test_an_import_worker_for_every_service_that_has_portable_imports(services):
    expected = set()
    for svc in SERVICES:
        importlib.import_module(f"services.{svc}.app")  # its routers declare its portable imports
        if portable_imports(svc):
            expected.add(svc)
    workers = {s["command"][1] for s in services.values() if s.get("command", [""])[0] == "worker"}
    assert expected and workers == expected
    # A worker reads the bodies its service spooled: the same volume.
    for svc in expected:
        assert services[f"{svc}-worker"]["volumes"] == [f"{svc}-var:/var/lib/renshi"]
        assert f"{svc}-var:/var/lib/renshi" in services[svc]["volumes"]


def test_every_long_running_container_has_a_health_check(services):
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        check = service.get("healthcheck")
        assert check and check["test"], name
    for name in SERVERS:
        assert "http://127.0.0.1:8000/readyz" in " ".join(services[name]["healthcheck"]["test"])


def test_everything_waits_for_the_migrations_and_they_for_the_database(services):
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name, service in _renshi(services).items():
        if name == "migrate":
            continue
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
    assert services["gateway"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    # Jobs sign in at the gateway: the scheduler starts once it is ready.
    assert services["scheduler"]["depends_on"]["gateway"] == {"condition": "service_healthy"}


def test_read_only_non_root_writing_only_to_a_volume_and_tmp(services):
    for name, service in _renshi(services).items():
        assert service["read_only"] is True, name
        assert service["tmpfs"] == ["/tmp"], name  # noqa: S108 - the image's scratch volume
        assert service["cap_drop"] == ["ALL"], name
        assert "user" not in service, f"{name} overrides the image's user"
        if name != "migrate":
            mounts = [v for v in service["volumes"] if isinstance(v, str)]
            assert any(v.endswith(":/var/lib/renshi") for v in mounts), name


def _environment(service) -> dict[str, str]:
    return {k: str(v) for k, v in service.get("environment", {}).items()}


def test_only_settings_the_processes_read(services):
    fields = setting_fields()
    for service in _renshi(services).values():
        for variable in _environment(service):
            assert_known_setting(variable, fields)


def test_one_server_one_database_per_service_each_process_its_own(services):
    created = set(re.findall(r"CREATE DATABASE (\w+);", INIT_SQL.read_text()))
    assert created == {f"renshi_{d}" for d in (*SERVICES, "gateway")}
    init = services["postgres"]["volumes"]
    assert "./compose/postgres-init.sql:/docker-entrypoint-initdb.d/10-databases.sql:ro" in init
    for name in SERVERS:
        env = _environment(services[name])
        urls = {k: v for k, v in env.items() if k.endswith("_DATABASE_URL")}
        assert list(urls) == [f"{name.upper()}_DATABASE_URL"], name
        assert urls[f"{name.upper()}_DATABASE_URL"].endswith(f"@postgres/renshi_{name}")
    # The migration step and the scheduler act for every service.
    for name, expected in (("migrate", (*SERVICES, "gateway")), ("scheduler", SERVICES)):
        env = _environment(services[name])
        assert {k for k in env if k.endswith("_DATABASE_URL")} == {
            f"{d.upper()}_DATABASE_URL" for d in expected
        }


def test_the_processes_find_each_other_and_redis(services):
    env = _environment(services["gateway"])
    assert json.loads(env["GATEWAY_SERVICE_URLS"]) == {s: f"http://{s}:8000" for s in SERVICES}
    assert env["GATEWAY_RATE_LIMIT_STORAGE"] == "redis://redis:6379"
    for svc in SERVICES:
        env = _environment(services[svc])
        assert env[f"{svc.upper()}_GATEWAY_URL"] == "http://gateway:8000"
        assert env[f"{svc.upper()}_ENVIRONMENT"] == "production"
        peers = json.loads(env.get(f"{svc.upper()}_PEER_URLS", "{}"))
        assert peers == {p: f"http://{p}:8000" for p in manifests.PEERS.get(svc, ())}, svc


def test_every_variable_it_needs_is_in_the_example_env_file():
    used = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    example = {
        line.split("=", 1)[0]
        for line in EXAMPLE_ENV.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert used == example
    # Secrets are left to fill in: no value in the example.
    for line in EXAMPLE_ENV.read_text().splitlines():
        key, _, value = line.partition("=")
        if key in {"POSTGRES_PASSWORD", "DIRECTORY_NATIONAL_ID_KEY", "TRAINING_CLIENT_SECRET"}:
            assert value == "", key
