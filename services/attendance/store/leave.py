"""Comp-leave requests: the requests themselves; what each took lives in the ledger."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from services.attendance.models import LeaveRequest
from services.common.pagination import PageParams, paginate


def get(session: Session, request_id: int) -> LeaveRequest | None:
    return session.get(LeaveRequest, request_id)


def add(session: Session, request: LeaveRequest) -> None:
    """Store a new request and give it its id, which its ledger entries name."""
    session.add(request)
    session.flush()


def save(session: Session, request: LeaveRequest) -> None:
    session.add(request)


def page(
    session: Session,
    persons: ColumnElement[bool],
    page: PageParams,
    *,
    person_id: str | None = None,
    status: str | None = None,
) -> tuple[list[LeaveRequest], str | None]:
    """One page of requests, oldest first, of the persons `persons` admits
    (a clause on `LeaveRequest.person_id`)."""
    stmt = select(LeaveRequest).where(persons)
    if person_id is not None:
        stmt = stmt.where(col(LeaveRequest.person_id) == person_id)
    if status is not None:
        stmt = stmt.where(col(LeaveRequest.status) == status)
    return paginate(session, stmt, col(LeaveRequest.id), page)


def business_necessity_refusals(session: Session, person_id: str) -> list[LeaveRequest]:
    """The person's requests refused for business necessity: what may make lapsed hours payable."""
    return list(
        session.exec(
            select(LeaveRequest).where(
                col(LeaveRequest.person_id) == person_id,
                col(LeaveRequest.status) == "refused",
                col(LeaveRequest.refusal_reason) == "business_necessity",
            )
        ).all()
    )
