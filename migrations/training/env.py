"""Alembic environment of the training database."""

from services.training.models import metadata
from services.common.migrate import run_env

run_env(metadata)
