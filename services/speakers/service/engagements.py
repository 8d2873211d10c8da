"""Recording, reading and withdrawing engagements."""

from __future__ import annotations

from sqlmodel import Session

from services.common.errors import NotFound
from services.common.principal import Principal
from services.speakers.access import check_engagement_agency
from services.speakers.models import Engagement
from services.speakers.schemas import EngagementCreate
from services.speakers.store import engagements as store
from services.speakers.store import lecturers


def record(session: Session, who: Principal, body: EngagementCreate) -> tuple[Engagement, bool]:
    """The engagement, and whether this request recorded it (a retry finds the first)."""
    check_engagement_agency(who, body.agency_code)
    lecturer = lecturers.get(session, body.lecturer_id)
    if lecturer is None or not lecturer.active:
        raise NotFound("no such lecturer")
    return store.record(session, body, who.sub)


def read(session: Session, engagement_id: int) -> Engagement:
    engagement = store.get(session, engagement_id)
    if engagement is None:
        raise NotFound("no such engagement")
    return engagement


def withdraw(session: Session, who: Principal, engagement_id: int) -> None:
    engagement = read(session, engagement_id)
    check_engagement_agency(who, engagement.agency_code)
    store.delete(session, engagement)
