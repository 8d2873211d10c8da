"""Stored expiry warnings, as their recipients read them back (the kernel
stores and delivers them)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from services.certs.models import Notice
from services.common.pagination import PageParams, paginate


def page_for(
    session: Session, recipient_id: str, page: PageParams
) -> tuple[list[Notice], str | None]:
    stmt = select(Notice).where(col(Notice.recipient_id) == recipient_id)
    return paginate(session, stmt, col(Notice.id), page, descending=True)
