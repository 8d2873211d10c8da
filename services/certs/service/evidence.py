"""Evidence of a certificate: uploaded by its holder while it awaits a
decision, read by whoever may read the certificate (a personal-data read,
audited).

The upload holds no transaction while the bytes arrive: the certificate is
checked in one short read, the file is streamed to disk, and only then is the
row updated in a write transaction of its own (on SQLite one writer at a time:
a slow upload must not hold everyone else's writes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.certs import access
from services.certs.domain.workflow import State
from services.certs.models import personal_data_reads
from services.certs.schemas import CertificateOut
from services.certs.service.certificates import out
from services.certs.store import certificates as store
from services.certs.store import evidence_files
from services.common.audit import record_personal_data_read
from services.common.errors import Conflict, FieldError, NotFound, Problem
from services.common.principal import Principal
from services.common.transactions import batch_transaction


def too_large(max_bytes: int) -> Problem:
    return Problem(
        f"the evidence file is larger than {max_bytes} bytes",
        status=413,
        errors=[FieldError(field="body", reason=f"at most {max_bytes} bytes", code="too_large")],
    )


def not_accepted() -> Problem:
    return Problem(
        "the evidence file is not a PDF, PNG or JPEG (judged by its content, not its name)",
        status=415,
        slug="unsupported-media-type",
        title="Unsupported media type",
        errors=[FieldError(field="body", reason="not a PDF, PNG or JPEG file", code="media_type")],
    )


def check_declared_length(declared: str | None, max_bytes: int) -> None:
    """A body announced larger than allowed is refused before anything is read."""
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)


def _awaiting_evidence(engine: Engine, who: Principal, certificate_id: int) -> None:
    with Session(engine) as session:
        certificate = access.reached(
            who, access.CERTIFICATES_SUBMIT, store.get(session, certificate_id)
        )
        _check_open(certificate.state)


def _check_open(state: str) -> None:
    if state != State.SUBMITTED.value:
        raise Conflict(
            f"evidence is added while a certificate awaits its decision; this one is {state}",
            errors=[FieldError(field="state", reason="not submitted", code="decided")],
        )


def _attach(
    engine: Engine, who: Principal, certificate_id: int, stored: evidence_files.Stored
) -> CertificateOut:
    with batch_transaction(engine, write_lock=True) as session:
        certificate = access.reached(
            who, access.CERTIFICATES_SUBMIT, store.get(session, certificate_id, for_update=True)
        )
        _check_open(certificate.state)
        certificate.evidence_sha256 = stored.sha256
        certificate.evidence_media_type = stored.media_type
        certificate.evidence_bytes = stored.size
        session.add(certificate)
        session.flush()
        return out(certificate)


async def upload(
    engine: Engine,
    root: Path,
    max_bytes: int,
    who: Principal,
    certificate_id: int,
    chunks: AsyncIterator[bytes],
) -> CertificateOut:
    await run_in_threadpool(_awaiting_evidence, engine, who, certificate_id)
    try:
        stored = await evidence_files.store_stream(root, chunks, max_bytes)
    except evidence_files.TooLarge:
        raise too_large(max_bytes) from None
    except evidence_files.NotAccepted:
        raise not_accepted() from None
    return await run_in_threadpool(_attach, engine, who, certificate_id, stored)


def locate(
    session: Session, root: Path, who: Principal, certificate_id: int
) -> tuple[Path, str, str]:
    """The evidence file of a certificate the caller may read: (path, media type,
    download name). The read is recorded in the personal-data read log."""
    certificate = access.reached(who, access.CERTIFICATES_READ, store.get(session, certificate_id))
    if certificate.evidence_sha256 is None or certificate.evidence_media_type is None:
        raise NotFound("this certificate has no evidence file")
    path = evidence_files.open_file(root, certificate.evidence_sha256)
    if path is None:
        raise NotFound("the evidence file is missing from the storage")
    record_personal_data_read(
        session, personal_data_reads, who, [certificate.person_id], "certificate-evidence"
    )
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    name = f"certificate-{certificate_id}-evidence.{extension[certificate.evidence_media_type]}"
    return path, certificate.evidence_media_type, name
