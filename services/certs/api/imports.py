"""Certificates imported in bulk by an importer account, on the kernel's import
pipeline. A job is read by the account that started it, or by an importer whose
agencies cover all of the job's; anyone else finds no such job.

A large import (or one sent with `Prefer: respond-async`) answers 202 and runs
as a job. Its import is built from the job row alone (the importer's agencies,
account and dry run), so any certs replica's worker, or `renshi worker certs`,
runs it."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

import copy
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.certs.access import CertificateImporter
from services.certs.api.import_columns import CERTIFICATE_IMPORT_DESCRIPTION
from services.certs.models import ImportJob
from services.certs.service import certificate_import
from services.certs.service.certificate_import import CertificateImport
from services.certs.service.import_jobs import read_job
from services.certs.settings import CertsSettings
from services.certs.store.imports import TABLES
from services.common.db import SessionDep
from services.common.ids import Id
from services.common.importing.http import (
    ASYNC_IMPORT_BODY,
    ASYNC_IMPORT_RESPONSES,
    ERRORS_CSV_RESPONSES,
    IDEMPOTENCY_KEY_PATTERN,
    ImportFormat,
    ImportStart,
    ImportStatus,
    errors_csv,
    format_of,
    fresh_job_out,
    job_list,
    job_out,
    queue_or_run_import,
)
from services.common.importing.queue import PortableImport, portable_import
from services.common.importing.schemas import ImportJobOut, ImportJobSummary
from services.common.pagination import Page, PageDep

router = APIRouter(prefix="/certificate-imports", tags=["imports"])

# The kernel's 202, its Location named for this collection (see the POST).
_ACCEPTED = copy.deepcopy(ASYNC_IMPORT_RESPONSES)
_ACCEPTED[202]["headers"]["Location"]["description"] = (
    "The job, relative to the request's URL (`certificate-imports/{id}`)"
)


def _certificate_kind(job: ImportJob, _settings: CertsSettings | None = None) -> CertificateImport:
    """The import of a job, from the job row alone: any worker runs it."""
    return CertificateImport(scope=job.agency_scope, actor=job.created_by, dry_run=job.dry_run)


portable_import(
    "certs",
    certificate_import.SOURCE,
    PortableImport(
        TABLES,
        _certificate_kind,
        certificate_import.REQUIRED,
        certificate_import.REQUIRED,
        certificate_import.BATCH_SIZE,
    ),
)


@router.post(
    "",
    summary="Import certificates (CSV or JSON lines), idempotent by issuer and number",
    response_model=ImportJobOut,
    description=CERTIFICATE_IMPORT_DESCRIPTION,
    responses=_ACCEPTED,
    openapi_extra=ASYNC_IMPORT_BODY,
)
async def import_certificates(
    request: Request,
    principal: CertificateImporter,
    format: Annotated[ImportFormat | None, Query()] = None,
    dry_run: Annotated[bool, Query(description="Check and count; write nothing")] = False,
    idempotency_key: Annotated[
        str | None,
        Header(pattern=IDEMPOTENCY_KEY_PATTERN, description="Re-post with it to resume"),
    ] = None,
) -> ImportJobOut | Response:
    start = ImportStart(
        certificate_import.SOURCE,
        format_of(request.headers.get("content-type"), format),
        dry_run,
        idempotency_key,
        principal.sub,
        frozenset(principal.agency_scope),
    )
    outcome = await queue_or_run_import(
        request,
        TABLES,
        start,
        _certificate_kind,
        required=certificate_import.REQUIRED,
        known=certificate_import.REQUIRED,
        batch_size=certificate_import.BATCH_SIZE,
    )
    if isinstance(outcome, Response):
        # 202: a worker runs the job. The kernel's Location (`imports/{id}`)
        # fits `…/import`; this collection is `certificate-imports`, and a
        # reference relative to the POST's URL must name it.
        location = outcome.headers.get("location", "")
        outcome.headers["location"] = "certificate-imports/" + location.rsplit("/", 1)[-1]
        return outcome
    job, _ = outcome
    assert job.id is not None
    return await run_in_threadpool(fresh_job_out, request.app.state.engine, TABLES, job.id)


@router.get(
    "",
    summary="Certificate imports the caller may read (queued, running, finished), newest first",
    response_model=Page[ImportJobSummary],
)
def list_certificate_imports(
    session: SessionDep,
    principal: CertificateImporter,
    page: PageDep,
    status: ImportStatus | None = None,
) -> Page[ImportJobSummary]:
    return job_list(
        session, TABLES, principal, page, sources=(certificate_import.SOURCE,), status=status
    )


@router.get(
    "/{job_id}",
    summary="A certificate import: status, counts and the first errors",
    response_model=ImportJobOut,
)
def get_certificate_import(
    job_id: Id, session: SessionDep, principal: CertificateImporter
) -> ImportJobOut:
    return job_out(session, TABLES, read_job(session, principal, job_id))


@router.get(
    "/{job_id}/errors.csv",
    summary="Every row error of a certificate import, as CSV",
    response_class=StreamingResponse,
    responses=ERRORS_CSV_RESPONSES,
)
def get_certificate_import_errors(
    job_id: Id, session: SessionDep, principal: CertificateImporter
) -> StreamingResponse:
    return errors_csv(session, TABLES, read_job(session, principal, job_id))
