"""Alembic environment of the certs database."""

from services.certs.models import metadata
from services.common.migrate import run_env

run_env(metadata)
