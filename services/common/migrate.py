"""Alembic, one environment per service database, driven from code."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Engine

from services.common.db import make_engine, normalise_url
from services.common.settings import ROOT

MIGRATIONS = ROOT / "migrations"


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS / service))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.attributes["url"] = normalise_url(url)
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(service, url), revision)


def head_revisions(service: str) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(service, "sqlite://"))
    return set(script.get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def run_env(target_metadata: MetaData) -> None:
    """Body of every migrations/<service>/env.py."""
    from alembic import context

    cfg = context.config
    url = cfg.attributes.get("url") or cfg.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migration environment")
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    batch = url.startswith("sqlite")
    if context.is_offline_mode():
        context.configure(
            url=url,
            literal_binds=True,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=batch,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    engine.pool = pool.NullPool(engine.pool._creator)  # one connection, closed after
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=batch,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
