"""Alembic environment of the speakers database."""

from services.common.migrate import run_env
from services.speakers.models import metadata

run_env(metadata)
