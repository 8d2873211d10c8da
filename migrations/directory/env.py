"""Alembic environment of the directory database."""

from services.common.migrate import run_env
from services.directory.models import metadata

run_env(metadata)
