"""Recording, reading and withdrawing engagements; each change re-indexes its
lecturer's class and course names for search."""

from __future__ import annotations

from sqlmodel import Session

from services.common.errors import NotFound
from services.common.principal import Principal
from services.speakers.access import ENGAGEMENTS_WRITE, audience, check_engagement_agency
from services.speakers.domain.consent import Disclosure, allowed
from services.speakers.models import Engagement
from services.speakers.schemas import EngagementCreate
from services.speakers.store import engagements as store
from services.speakers.store import lecturers
from services.speakers.store.search_index import reindex


def record(session: Session, who: Principal, body: EngagementCreate) -> tuple[Engagement, bool]:
    """The engagement, and whether this request recorded it (a retry finds the first)."""
    check_engagement_agency(who, body.agency_code)
    lecturer = lecturers.get(session, body.lecturer_id)
    if lecturer is None or not lecturer.active:
        raise NotFound("no such lecturer")
    fields = body.model_dump()
    # A caller that names no course (training before it sent one) gave it as the topic.
    fields["course_name"] = body.course_name or body.topic
    engagement, created = store.record(session, Engagement(**fields, recorded_by=who.sub))
    if created:
        reindex(session, body.lecturer_id)
    return engagement, created


def read(session: Session, engagement_id: int) -> Engagement:
    engagement = store.get(session, engagement_id)
    if engagement is None:
        raise NotFound("no such engagement")
    return engagement


def read_for(session: Session, who: Principal, engagement_id: int) -> Engagement:
    """An engagement as a searcher may see it: not hidden by its lecturer, and the
    lecturer's records disclosed to the caller's role; else as unknown as a
    missing one. The hosting agency's own writer sees its records regardless."""
    engagement = read(session, engagement_id)
    if who.has(ENGAGEMENTS_WRITE) or (
        who.has(f"{ENGAGEMENTS_WRITE}:agency") and who.in_scope(engagement.agency_code)
    ):
        return engagement
    lecturer = lecturers.get(session, engagement.lecturer_id)
    disclosed = lecturer is not None and allowed(
        Disclosure(lecturer.engagements_disclosure), audience(who)
    )
    if engagement.hidden or not disclosed:
        raise NotFound("no such engagement")
    return engagement


def withdraw(session: Session, who: Principal, engagement_id: int) -> None:
    engagement = read(session, engagement_id)
    check_engagement_agency(who, engagement.agency_code)
    lecturer_id = engagement.lecturer_id
    store.delete(session, engagement)
    reindex(session, lecturer_id)
