"""Learning-record import jobs and their row errors: the kernel's job queries on
training's two tables."""

from __future__ import annotations

from services.common.importing.jobs_store import JobTables
from services.training.models import ImportJob, ImportRowError

TABLES = JobTables(ImportJob, ImportRowError)
