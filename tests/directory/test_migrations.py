"""The directory's migrations build exactly the models, seed the roles, and
go down and up again cleanly on the backend under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from services.common.db import make_engine
from services.common.migrate import current_revisions, downgrade, head_revisions, upgrade
from services.directory.models import metadata
from services.directory.roles import permission_rows, role_rows
from tests.databases import fresh_database

TABLES = {
    "agencies",
    "units",
    "persons",
    "roles",
    "role_permissions",
    "accounts",
    "account_review_campaigns",
    "account_review_items",
    "account_roles",
    "role_usage",
    "client_secrets",
    "personal_data_reads",
    "import_jobs",
    "import_errors",
    "search_grant_quotas",
    "search_grant_places",
    "search_grants",
}


def _tables(engine):
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(tmp_path):
    with fresh_database("directory", tmp_path, migrate=False) as url:
        engine = make_engine(url)
        try:
            upgrade("directory", url)
            assert _tables(engine) == TABLES
            assert current_revisions(engine) == head_revisions("directory")
            downgrade("directory", url, "base")
            assert _tables(engine) == set()
            upgrade("directory", url)
            assert _tables(engine) == TABLES
            with engine.connect() as conn:
                roles = conn.execute(text("SELECT count(*) FROM roles")).scalar_one()
                grants = conn.execute(text("SELECT count(*) FROM role_permissions")).scalar_one()
            assert (roles, grants) == (len(role_rows()), len(permission_rows()))
        finally:
            engine.dispose()


def test_models_match_the_migrations(tmp_path):
    with fresh_database("directory", tmp_path) as url:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(context, metadata) == []
        finally:
            engine.dispose()
