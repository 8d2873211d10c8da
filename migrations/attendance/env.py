"""Alembic environment of the attendance database."""

from services.attendance.models import metadata
from services.common.migrate import run_env

run_env(metadata)
