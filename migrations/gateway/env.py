"""Alembic environment of the gateway's audit database."""

from gateway.audit import metadata
from services.common.migrate import run_env

run_env(metadata)
