"""A person's verified certificates with what the talent rules read of them:
the catalogue version's kind, level and entry code, and when it was verified."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session, col

from services.certs.domain.workflow import State
from services.certs.models import CatalogueEntry, CatalogueVersion, Certificate, CertificateEvent

# Verified ones, and expired ones (valid on a day before they lapsed). A revoked
# certificate counts on no day: the revocation says it should not have.
COUNTED_STATES = (State.VERIFIED.value, State.EXPIRED.value)


class HeldCertificate(NamedTuple):
    id: int
    code: str
    name: str
    kind: str
    level: str
    verified_at: datetime
    expires_on: date | None  # the day it lapses (valid through the day before)


def held(session: Session, person_id: str) -> list[HeldCertificate]:
    verified_at = (
        select(
            col(CertificateEvent.certificate_id).label("certificate_id"),
            func.min(col(CertificateEvent.at)).label("at"),
        )
        .where(col(CertificateEvent.to_state) == State.VERIFIED.value)
        .group_by(col(CertificateEvent.certificate_id))
        .subquery()
    )
    rows = session.execute(
        select(
            col(Certificate.id),
            col(CatalogueEntry.code),
            col(CatalogueVersion.name),
            col(CatalogueVersion.kind),
            col(CatalogueVersion.level),
            verified_at.c.at,
            col(Certificate.expires_on),
        )
        .join(CatalogueVersion, col(CatalogueVersion.id) == col(Certificate.catalogue_version_id))
        .join(CatalogueEntry, col(CatalogueEntry.id) == col(CatalogueVersion.entry_id))
        .join(verified_at, verified_at.c.certificate_id == col(Certificate.id))
        .where(
            col(Certificate.person_id) == person_id,
            col(Certificate.state).in_(COUNTED_STATES),
        )
        .order_by(col(Certificate.id))
    )
    return [HeldCertificate(*row) for row in rows]
