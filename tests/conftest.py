"""Fixtures shared by the whole suite.

Each service gets one migrated database per test run; between tests every
table is emptied (instead of a rolled-back outer transaction) so that tests
may use several real connections at once, e.g. for concurrency.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.engine import Engine

from gateway.keys import KeyPair, generate
from services.common.internal_auth import mint_internal_token
from services.common.principal import Principal
from tests.databases import SERVICES, fresh_database

# No per-example deadline: on a loaded two-core CI machine a pure rule's example
# can take longer than hypothesis's 200 ms default, which reports a flaky
# failure that says nothing about the rule. Examples still count as before.
settings.register_profile("renshi", deadline=None)
settings.load_profile("renshi")


@pytest.fixture(scope="session")
def internal_keys() -> KeyPair:
    return generate()


@pytest.fixture(scope="session")
def service_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("db")
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield {svc: stack.enter_context(fresh_database(svc, workdir)) for svc in SERVICES}


def _settings_for(service: str, url: str, keys: KeyPair, **extra: Any) -> Any:
    module = importlib.import_module(f"services.{service}.settings")
    cls = getattr(module, f"{service.capitalize()}Settings")
    return cls(database_url=url, internal_public_key=keys.public_pem, environment="test", **extra)


@pytest.fixture(scope="session")
def service_apps(
    service_urls: dict[str, str], internal_keys: KeyPair, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, FastAPI]:
    apps = {}
    spool = tmp_path_factory.mktemp("import-spool")
    for svc, url in service_urls.items():
        module = importlib.import_module(f"services.{svc}.app")
        settings = _settings_for(svc, url, internal_keys, import_spool_dir=spool / svc)
        apps[svc] = module.create_app(settings)
    return apps


def _empty_tables(engine: Engine, metadata: Any) -> None:
    tables = [t for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            if names:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def apps(service_apps: dict[str, FastAPI]) -> Iterator[dict[str, FastAPI]]:
    yield service_apps
    for svc, app in service_apps.items():
        metadata = importlib.import_module(f"services.{svc}.models").metadata
        _empty_tables(app.state.engine, metadata)


TokenFactory = Callable[..., str]


@pytest.fixture
def internal_token(internal_keys: KeyPair) -> TokenFactory:
    """internal_token("training", permissions=[...], person_id=..., agency_scope=[...])"""

    def make(audience: str, **principal: Any) -> str:
        principal.setdefault("sub", "tester")
        principal.setdefault("kind", "human")
        return mint_internal_token(
            Principal(**principal),
            audience=audience,
            private_pem=internal_keys.private_pem,
            kid=internal_keys.kid,
        )

    return make


@pytest.fixture
def client(apps: dict[str, FastAPI]) -> Callable[[str], TestClient]:
    """client("training") → a TestClient on that service (raise_server_exceptions off,
    so unexpected errors are seen as the 500 a caller would get)."""
    made: dict[str, TestClient] = {}

    def get(service: str) -> TestClient:
        if service not in made:
            made[service] = TestClient(apps[service], raise_server_exceptions=False)
        return made[service]

    return get


def pytest_report_header() -> str:
    from tests.databases import BACKEND

    return f"renshi test database: {BACKEND}"
