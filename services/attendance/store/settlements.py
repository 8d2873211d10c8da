"""The settlement queue: lapsed hours owed as pay or a commendation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from services.attendance.models import LeaveRequest, Settlement
from services.common.pagination import PageParams, paginate


def add(session: Session, row: Settlement) -> None:
    session.add(row)


def settled_grant_ids(session: Session, person_id: str) -> set[int]:
    return set(
        session.exec(
            select(Settlement.grant_id).where(col(Settlement.person_id) == person_id)
        ).all()
    )


@dataclass(frozen=True)
class QueueFilter:
    """Narrows the queue: outcome, the decision reasons a rule stands for, and
    the days the hours lapsed (from and to, both included)."""

    outcome: str | None = None
    reasons: Sequence[str] | None = None
    from_day: date | None = None
    to_day: date | None = None


def page(
    session: Session,
    agency_code: str,
    page: PageParams,
    where: QueueFilter | None = None,
) -> tuple[list[Settlement], str | None]:
    stmt = select(Settlement).where(col(Settlement.agency_code) == agency_code)
    where = where or QueueFilter()
    if where.outcome is not None:
        stmt = stmt.where(col(Settlement.outcome) == where.outcome)
    if where.reasons is not None:
        stmt = stmt.where(col(Settlement.reason).in_(list(where.reasons)))
    if where.from_day is not None:
        stmt = stmt.where(col(Settlement.expired_on) >= where.from_day)
    if where.to_day is not None:
        stmt = stmt.where(col(Settlement.expired_on) <= where.to_day)
    return paginate(session, stmt, col(Settlement.id), page)


def refusals(session: Session, ids: Sequence[int]) -> dict[int, LeaveRequest]:
    """The refused leave requests settlements rest on, by id."""
    if not ids:
        return {}
    rows = session.exec(select(LeaveRequest).where(col(LeaveRequest.id).in_(sorted(set(ids)))))
    return {r.id: r for r in rows if r.id is not None}


def of_agency(session: Session, agency_code: str) -> list[Settlement]:
    """The agency's whole queue, oldest first."""
    return list(
        session.exec(
            select(Settlement)
            .where(col(Settlement.agency_code) == agency_code)
            .order_by(col(Settlement.id))
        ).all()
    )
