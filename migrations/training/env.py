"""Alembic environment of the training database."""

from services.common.migrate import run_env
from services.training.models import metadata

run_env(metadata)
