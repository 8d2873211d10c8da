"""Alembic environment of the speakers database."""

from services.speakers.models import metadata
from services.common.migrate import run_env

run_env(metadata)
