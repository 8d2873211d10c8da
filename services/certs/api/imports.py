"""Certificates imported in bulk by an importer account, on the kernel's import
pipeline. A job is read by the account that started it, or by an importer whose
agencies cover all of the job's; anyone else finds no such job."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.certs.access import CertificateImporter
from services.certs.api.import_columns import CERTIFICATE_IMPORT_DESCRIPTION
from services.certs.models import ImportJob
from services.certs.service import certificate_import
from services.certs.service.certificate_import import CertificateImport
from services.certs.service.import_jobs import read_job
from services.certs.store.imports import TABLES
from services.common.db import SessionDep
from services.common.ids import Id
from services.common.importing.http import (
    ERRORS_CSV_RESPONSES,
    IDEMPOTENCY_KEY_PATTERN,
    IMPORT_BODY,
    ImportFormat,
    ImportStart,
    errors_csv,
    format_of,
    fresh_job_out,
    job_out,
    run_import,
)
from services.common.importing.schemas import ImportJobOut

router = APIRouter(prefix="/certificate-imports", tags=["imports"])


@router.post(
    "",
    summary="Import certificates (CSV or JSON lines), idempotent by issuer and number",
    response_model=ImportJobOut,
    description=CERTIFICATE_IMPORT_DESCRIPTION,
    openapi_extra=IMPORT_BODY,
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
) -> ImportJobOut:
    def make_kind(_job: ImportJob) -> CertificateImport:
        return CertificateImport(scope=principal.agency_scope, actor=principal.sub, dry_run=dry_run)

    start = ImportStart(
        certificate_import.SOURCE,
        format_of(request.headers.get("content-type"), format),
        dry_run,
        idempotency_key,
        principal.sub,
        frozenset(principal.agency_scope),
    )
    job, _ = await run_import(
        request,
        TABLES,
        start,
        make_kind,
        required=certificate_import.REQUIRED,
        known=certificate_import.REQUIRED,
        batch_size=certificate_import.BATCH_SIZE,
    )
    assert job.id is not None
    return await run_in_threadpool(fresh_job_out, request.app.state.engine, TABLES, job.id)


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
