"""Queries of certificates and their events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from services.certs.domain.workflow import State
from services.certs.models import Certificate, CertificateEvent
from services.common.pagination import PageParams, paginate


def get(session: Session, certificate_id: int, *, for_update: bool = False) -> Certificate | None:
    stmt = select(Certificate).where(col(Certificate.id) == certificate_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def live_by_number(session: Session, issuer: str, number: str) -> Certificate | None:
    """The certificate holding this issuer's number (a rejected one holds none)."""
    return session.scalars(
        select(Certificate).where(
            col(Certificate.issuer) == issuer,
            col(Certificate.certificate_number) == number,
            col(Certificate.state) != State.REJECTED.value,
        )
    ).first()


def live_renewal_of(session: Session, certificate_id: int) -> Certificate | None:
    return session.scalars(
        select(Certificate).where(
            col(Certificate.previous_id) == certificate_id,
            col(Certificate.state) != State.REJECTED.value,
        )
    ).first()


def page(
    session: Session,
    reach: ColumnElement[bool],
    params: PageParams,
    *,
    person_id: str | None = None,
    state: State | None = None,
    agency_code: str | None = None,
) -> tuple[list[Certificate], str | None]:
    stmt = select(Certificate).where(reach)
    if person_id is not None:
        stmt = stmt.where(col(Certificate.person_id) == person_id)
    if state is not None:
        stmt = stmt.where(col(Certificate.state) == state.value)
    if agency_code is not None:
        stmt = stmt.where(col(Certificate.agency_code) == agency_code)
    return paginate(session, stmt, col(Certificate.id), params)


def events(session: Session, certificate_id: int) -> list[CertificateEvent]:
    return list(
        session.scalars(
            select(CertificateEvent)
            .where(col(CertificateEvent.certificate_id) == certificate_id)
            .order_by(col(CertificateEvent.id))
        )
    )


def add_event(
    session: Session,
    certificate_id: int,
    from_state: State | None,
    to_state: State,
    actor: str,
    reason: str | None = None,
) -> None:
    session.add(
        CertificateEvent(
            certificate_id=certificate_id,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value,
            actor=actor,
            reason=reason,
        )
    )


def lapsed_ids(session: Session, today: date) -> list[int]:
    """Verified certificates whose validity ended on or before `today`."""
    return list(
        session.scalars(
            select(col(Certificate.id))
            .where(
                col(Certificate.state) == State.VERIFIED.value,
                col(Certificate.expires_on).is_not(None),
                col(Certificate.expires_on) <= today,
            )
            .order_by(col(Certificate.id))
        )
    )


def expiring(session: Session, today: date, until: date) -> Sequence[Certificate]:
    """Verified certificates lapsing after `today` and on or before `until`
    that no live renewal continues (its holder has already acted)."""
    renewed = select(col(Certificate.previous_id)).where(
        col(Certificate.previous_id).is_not(None),
        col(Certificate.state) != State.REJECTED.value,
    )
    return list(
        session.scalars(
            select(Certificate)
            .where(
                col(Certificate.state) == State.VERIFIED.value,
                col(Certificate.expires_on) > today,
                col(Certificate.expires_on) <= until,
                col(Certificate.id).not_in(renewed),
            )
            .order_by(col(Certificate.id))
        )
    )
