"""The evidence file of a certificate: uploaded as the request body itself,
downloaded as bytes. Its type is read from its content."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from services.certs.access import CertificateReader, CertificateSubmitter
from services.certs.api.deps import SettingsDep
from services.certs.schemas import CertificateOut
from services.certs.service import evidence
from services.common.db import WriteSessionDep
from services.common.downloads import BINARY_SCHEMA
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_MEDIA_TYPE
from services.common.ids import Id

router = APIRouter(prefix="/certificates", tags=["evidence"])

OCTET_STREAM = "application/octet-stream"
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The file itself, as the body: a PDF, PNG or JPEG, told by its content "
            "(whatever its name or the Content-Type sent)."
        ),
        "content": {OCTET_STREAM: {"schema": BINARY_SCHEMA}},
    }
}


def _problem_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
    }


UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **CONFLICT_RESPONSES,
    413: _problem_doc("The file is larger than CERTS_EVIDENCE_MAX_BYTES; nothing stored"),
    415: _problem_doc("The file is no PDF, PNG or JPEG; nothing stored"),
}
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The evidence file; its Content-Type says which of PDF, PNG, JPEG",
        "content": {OCTET_STREAM: {"schema": BINARY_SCHEMA}},
    }
}


@router.put(
    "/{certificate_id}/evidence",
    summary="Upload the evidence of one's own submitted certificate",
    response_model=CertificateOut,
    responses=UPLOAD_RESPONSES,
    openapi_extra=UPLOAD_BODY,
)
async def put_certificate_evidence(
    certificate_id: Id, request: Request, who: CertificateSubmitter, settings: SettingsDep
) -> CertificateOut:
    evidence.check_declared_length(
        request.headers.get("content-length"), settings.evidence_max_bytes
    )
    return await evidence.upload(
        request.app.state.engine,
        settings.storage_dir,
        settings.evidence_max_bytes,
        who,
        certificate_id,
        request.stream(),
    )


@router.get(
    "/{certificate_id}/evidence",
    summary="Download a certificate's evidence file",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
def get_certificate_evidence(
    certificate_id: Id, session: WriteSessionDep, who: CertificateReader, settings: SettingsDep
) -> Response:
    path, media_type, name = evidence.locate(session, settings.storage_dir, who, certificate_id)
    return FileResponse(path, media_type=media_type, filename=name)
