"""The settlement queue: lapsed hours owed as pay or a commendation."""

from __future__ import annotations

from sqlmodel import Session, col, select

from services.attendance.models import Settlement
from services.common.pagination import PageParams, paginate


def add(session: Session, row: Settlement) -> None:
    session.add(row)


def settled_grant_ids(session: Session, person_id: str) -> set[int]:
    return set(
        session.exec(
            select(Settlement.grant_id).where(col(Settlement.person_id) == person_id)
        ).all()
    )


def page(
    session: Session, agency_code: str, page: PageParams
) -> tuple[list[Settlement], str | None]:
    stmt = select(Settlement).where(col(Settlement.agency_code) == agency_code)
    return paginate(session, stmt, col(Settlement.id), page)


def of_agency(session: Session, agency_code: str) -> list[Settlement]:
    """The agency's whole queue, oldest first."""
    return list(
        session.exec(
            select(Settlement)
            .where(col(Settlement.agency_code) == agency_code)
            .order_by(col(Settlement.id))
        ).all()
    )
