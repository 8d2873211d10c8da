"""The caller's own notices: comp time about to expire, and unit lists for supervisors."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from services.attendance.models import Notice
from services.attendance.store import notices
from services.common.errors import NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal


def my_notices(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    kind: str | None,
    since: date | None,
) -> tuple[list[Notice], str | None]:
    """One page of the caller's notices, newest first."""
    if principal.person_id is None:
        raise NotFound("the caller has no person record")
    return notices.page_for(session, principal.person_id, page, kind=kind, since=since)
