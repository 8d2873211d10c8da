"""Persons' certificates and the decisions on them."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.certs.access import CertificateDecider, CertificateReader, CertificateSubmitter
from services.certs.domain.workflow import Action, State
from services.certs.schemas import (
    CertificateOut,
    CertificateRenew,
    CertificateSubmit,
    Decision,
    EventOut,
)
from services.certs.service import certificates
from services.common.db import WriteSessionDep
from services.common.errors import CONFLICT_RESPONSES
from services.common.ids import Id
from services.common.pagination import Page, PageDep, whole_page

router = APIRouter(prefix="/certificates", tags=["certificates"])


@router.post(
    "",
    summary="Submit one's own certificate for verification",
    response_model=CertificateOut,
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT_RESPONSES,
)
def submit_certificate(
    body: CertificateSubmit, session: WriteSessionDep, who: CertificateSubmitter
) -> CertificateOut:
    return certificates.submit(session, who, body)


# Reads by someone other than the holder write personal-data read rows, so they
# take the write session (services/speakers/api/lecturers.py says why).
@router.get(
    "", summary="Certificates within the caller's reach", response_model=Page[CertificateOut]
)
def list_certificates(
    session: WriteSessionDep,
    who: CertificateReader,
    page: PageDep,
    person_id: Annotated[str | None, Query(max_length=64, description="Only this holder's")] = None,
    state: Annotated[State | None, Query(description="Only certificates in this state")] = None,
    agency_code: Annotated[
        str | None, Query(max_length=16, description="Only this agency's")
    ] = None,
) -> Page[CertificateOut]:
    items, cursor = certificates.page(
        session, who, page, person_id=person_id, state=state, agency_code=agency_code
    )
    return Page[CertificateOut](items=items, next_cursor=cursor, limit=page.limit)


@router.get("/{certificate_id}", summary="One certificate", response_model=CertificateOut)
def get_certificate(
    certificate_id: Id, session: WriteSessionDep, who: CertificateReader
) -> CertificateOut:
    return certificates.read(session, who, certificate_id)


@router.get(
    "/{certificate_id}/events",
    summary="A certificate's history: every transition, who, when, why",
    response_model=Page[EventOut],
)
def list_certificate_events(
    certificate_id: Id, session: WriteSessionDep, who: CertificateReader
) -> Page[EventOut]:
    return whole_page(certificates.events(session, who, certificate_id))


@router.post(
    "/{certificate_id}/verify",
    summary="Verify a submitted certificate (HR officer of the holder's agency)",
    response_model=CertificateOut,
    responses=CONFLICT_RESPONSES,
)
def verify_certificate(
    certificate_id: Id, body: Decision, session: WriteSessionDep, who: CertificateDecider
) -> CertificateOut:
    return certificates.decide(session, who, certificate_id, Action.VERIFY, body.reason)


@router.post(
    "/{certificate_id}/reject",
    summary="Reject a submitted certificate, with the reason",
    response_model=CertificateOut,
    responses=CONFLICT_RESPONSES,
)
def reject_certificate(
    certificate_id: Id, body: Decision, session: WriteSessionDep, who: CertificateDecider
) -> CertificateOut:
    return certificates.decide(session, who, certificate_id, Action.REJECT, body.reason)


@router.post(
    "/{certificate_id}/revoke",
    summary="Revoke a verified certificate, with the reason",
    response_model=CertificateOut,
    responses=CONFLICT_RESPONSES,
)
def revoke_certificate(
    certificate_id: Id, body: Decision, session: WriteSessionDep, who: CertificateDecider
) -> CertificateOut:
    return certificates.decide(session, who, certificate_id, Action.REVOKE, body.reason)


@router.post(
    "/{certificate_id}/renewals",
    summary="Renew a certificate: a new submitted row linked to it, which stays as it was",
    response_model=CertificateOut,
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT_RESPONSES,
)
def renew_certificate(
    certificate_id: Id, body: CertificateRenew, session: WriteSessionDep, who: CertificateSubmitter
) -> CertificateOut:
    return certificates.renew(session, who, certificate_id, body)
