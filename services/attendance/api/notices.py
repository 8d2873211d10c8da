"""The caller's own notices: comp time about to expire, and unit lists for supervisors."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.attendance.api.deps import RecordsReader
from services.attendance.schemas import Day, NoticeOut
from services.attendance.service import inbox
from services.common.db import SessionDep
from services.common.pagination import Page, PageDep

router = APIRouter(tags=["notices"])


@router.get("/me/notices", summary="My notices, newest first", response_model=Page[NoticeOut])
def list_my_notices(
    session: SessionDep,
    principal: RecordsReader,
    page: PageDep,
    kind: Annotated[
        Literal["expiring_next_month", "unit_expiring_next_month", "expiring_soon"] | None,
        Query(description="Only notices of this kind"),
    ] = None,
    since: Annotated[Day | None, Query(description="Only notices issued on or after")] = None,
) -> Page[NoticeOut]:
    rows, nxt = inbox.my_notices(session, principal, page, kind=kind, since=since)
    items = [NoticeOut.model_validate(r, from_attributes=True) for r in rows]
    return Page[NoticeOut](items=items, next_cursor=nxt, limit=page.limit)
