"""Stored notices, as their recipients read them back (the kernel stores and delivers them)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from services.attendance.models import Notice
from services.common.pagination import PageParams, paginate


def page_for(
    session: Session,
    recipient_id: str,
    page: PageParams,
    *,
    kind: str | None = None,
    since: date | None = None,
) -> tuple[list[Notice], str | None]:
    """One page of a recipient's notices, newest first."""
    stmt = select(Notice).where(col(Notice.recipient_id) == recipient_id)
    if kind is not None:
        stmt = stmt.where(col(Notice.kind) == kind)
    if since is not None:
        stmt = stmt.where(col(Notice.issued_on) >= since)
    return paginate(session, stmt, col(Notice.id), page, descending=True)
