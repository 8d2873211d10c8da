"""Each service's migrations build exactly its models' schema, and go down cleanly."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from services.common.db import make_engine
from services.common.migrate import current_revisions, downgrade, head_revisions, upgrade
from tests.databases import SERVICES, fresh_database


def _metadata(name: str):
    if name == "gateway":
        return importlib.import_module("gateway.audit").metadata
    return importlib.import_module(f"services.{name}.models").metadata


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_upgrade_matches_models_and_downgrade_is_clean(service, tmp_path):
    metadata = _metadata(service)
    with fresh_database(service, tmp_path, migrate=False) as url:
        upgrade(service, url)
        engine = make_engine(url)
        try:
            assert current_revisions(engine) == head_revisions(service)
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, metadata)
            assert diff == [], f"models and migrations differ: {diff}"

            downgrade(service, url, "base")
            tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
            assert tables == set()
            assert current_revisions(engine) == set()

            upgrade(service, url)
            assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
        finally:
            engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_metadata(service):
    metadata = importlib.import_module(f"services.{service}.models").metadata
    others = [
        importlib.import_module(f"services.{s}.models").metadata for s in SERVICES if s != service
    ]
    assert all(metadata is not other for other in others)
    from sqlmodel import SQLModel

    assert metadata is not SQLModel.metadata
