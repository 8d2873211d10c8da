"""Test databases: one per service per test run (and per xdist worker), built by
running the Alembic migrations — never create_all — on SQLite or PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from services.common.migrate import upgrade

BACKEND = os.environ.get("RENSHI_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "RENSHI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SERVICES = ("directory", "training", "certs", "attendance", "speakers")


def _pg_admin_engine() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@contextmanager
def fresh_database(service: str, workdir: Path, *, migrate: bool = True) -> Iterator[str]:
    """Yield the URL of a brand-new database for `service`, dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    if BACKEND == "sqlite":
        url = f"sqlite:///{workdir / f'{service}-{suffix}.db'}"
        if migrate:
            upgrade(service, url)
        yield url
        return
    if BACKEND != "postgresql":
        raise RuntimeError(f"unknown RENSHI_TEST_DATABASE {BACKEND!r}")
    name = f"renshi_test_{service}_{suffix}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(service, url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migration_module(service: str, revision: str) -> ModuleType:
    """One revision's migration file of `service`, loaded as a module (its
    constants and helpers, held to the domain's by the tests)."""
    path = next(Path(f"migrations/{service}/versions").glob(f"*_{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
