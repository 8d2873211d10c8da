"""The caller's own notices: certificates about to lapse, or lapsed."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from fastapi import APIRouter

from services.certs.access import CertificateReader
from services.certs.schemas import NoticeOut
from services.certs.service import notices
from services.common.db import SessionDep
from services.common.pagination import Page, PageDep

router = APIRouter(tags=["notices"])


@router.get(
    "/me/notices", summary="My certificate notices, newest first", response_model=Page[NoticeOut]
)
def list_my_notices(session: SessionDep, who: CertificateReader, page: PageDep) -> Page[NoticeOut]:
    rows, cursor = notices.mine(session, who, page)
    items = [NoticeOut.model_validate(r, from_attributes=True) for r in rows]
    return Page[NoticeOut](items=items, next_cursor=cursor, limit=page.limit)
