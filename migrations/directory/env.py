"""Alembic environment of the directory database."""

from services.directory.models import metadata
from services.common.migrate import run_env

run_env(metadata)
