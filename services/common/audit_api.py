"""The security auditor's view of a service's personal-data read log."""

# No `from __future__ import annotations` here: FastAPI must resolve the
# dependency annotations built inside the factory at import time.

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import Table, select

from services.common.db import SessionDep
from services.common.pagination import Page, PageDep, paginate
from services.common.permissions import require
from services.common.principal import Principal


class PersonalDataRead(BaseModel):
    id: int
    at: AwareDatetime
    request_id: str | None
    reader: str
    reader_person_id: str | None
    subject_person_id: str
    resource: str
    fields: str


def personal_data_reads_router(service: str, table: Table) -> APIRouter:
    router = APIRouter(prefix="/audit", tags=["audit"])
    auditor = Annotated[Principal, Depends(require(f"{service}:audit:read"))]

    @router.get(
        "/personal-data-reads",
        summary="Who read whose personal data in this service",
        response_model=Page[PersonalDataRead],
    )
    def list_personal_data_reads(
        session: SessionDep,
        _auditor: auditor,
        page: PageDep,
        reader: Annotated[str | None, Query(max_length=128)] = None,
        subject_person_id: Annotated[str | None, Query(max_length=64)] = None,
        # With their offset: a time without one could mean any zone.
        since: AwareDatetime | None = None,
        until: AwareDatetime | None = None,
    ) -> Page[PersonalDataRead]:
        stmt = select(table)
        if reader:
            stmt = stmt.where(table.c.reader == reader)
        if subject_person_id:
            stmt = stmt.where(table.c.subject_person_id == subject_person_id)
        if since:
            stmt = stmt.where(table.c.at >= since)
        if until:
            stmt = stmt.where(table.c.at < until)
        rows, nxt = paginate(session, stmt, table.c.id, page)
        items = [PersonalDataRead.model_validate(dict(r._mapping)) for r in rows]
        return Page[PersonalDataRead](items=items, next_cursor=nxt, limit=page.limit)

    return router
