"""Reading back an import job: by whom, under which path."""

from __future__ import annotations

from sqlmodel import Session

from services.certs.models import ImportJob
from services.certs.service.certificate_import import SOURCE
from services.certs.store.imports import TABLES
from services.common.errors import NotFound
from services.common.importing.jobs_store import readable_by
from services.common.principal import Principal


def read_job(session: Session, who: Principal, job_id: int) -> ImportJob:
    job = TABLES.get(session, job_id)
    if job is None or job.source != SOURCE or not readable_by(job, who.sub, who.agency_scope):
        raise NotFound("no such import")
    return job
