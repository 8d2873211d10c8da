"""Import jobs and their row errors: the kernel's job queries on certs' two tables."""

from __future__ import annotations

from services.certs.models import ImportJob, ImportRowError
from services.common.importing.jobs_store import JobTables

TABLES = JobTables(ImportJob, ImportRowError)
