"""A lecturer's own profile: reading and editing it, choosing what each field
discloses (a consent history, the latest choice in force at once), and hiding
individual engagement records."""

from __future__ import annotations

from sqlmodel import Session

from services.common.errors import NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.timeutil import now_utc
from services.speakers.access import own_person_id
from services.speakers.domain.consent import ConsentField, Disclosure
from services.speakers.models import Engagement, Lecturer, LecturerConsent
from services.speakers.schemas import (
    CategoryOut,
    ConsentChangeOut,
    ConsentHistoryOut,
    ConsentOut,
    ConsentUpdate,
    ProfileOut,
    ProfileUpdate,
)
from services.speakers.service import lecturers as lecturer_service
from services.speakers.store import categories
from services.speakers.store import engagements as engagement_store
from services.speakers.store import lecturers as store
from services.speakers.store.search_index import reindex


def own(session: Session, who: Principal) -> Lecturer:
    lecturer = store.by_person(session, own_person_id(who))
    if lecturer is None:
        raise NotFound("no lecturer profile belongs to this account")
    return lecturer


def consent_of(lecturer: Lecturer) -> ConsentOut:
    return ConsentOut(
        email=Disclosure(lecturer.email_disclosure),
        phone=Disclosure(lecturer.phone_disclosure),
        biography=Disclosure(lecturer.biography_disclosure),
        engagements=Disclosure(lecturer.engagements_disclosure),
    )


def view(session: Session, lecturer: Lecturer) -> ProfileOut:
    assert lecturer.id is not None
    filed = categories.of_lecturers(session, [lecturer.id])[lecturer.id]
    return ProfileOut(
        id=lecturer.id,
        name=lecturer.name,
        organisation=lecturer.organisation,
        agency_code=lecturer.agency_code,
        title=lecturer.title,
        expertise=lecturer.expertise,
        categories=[CategoryOut(code=c.code, name=c.name) for c in filed],
        biography=lecturer.biography,
        email=lecturer.email,
        phone=lecturer.phone,
        consent=consent_of(lecturer),
        last_engaged_on=lecturer.last_engaged_on,
        updated_at=lecturer.updated_at,
    )


def read(session: Session, who: Principal) -> ProfileOut:
    return view(session, own(session, who))


def edit(session: Session, who: Principal, body: ProfileUpdate) -> ProfileOut:
    lecturer = lecturer_service.update_own(session, own(session, who), body)
    return view(session, lecturer)


def consent_history(session: Session, who: Principal) -> ConsentHistoryOut:
    lecturer = own(session, who)
    assert lecturer.id is not None
    history = store.consent_history(session, lecturer.id)
    return ConsentHistoryOut(
        current=consent_of(lecturer),
        history=[
            ConsentChangeOut(
                field=row.field,
                disclosure=Disclosure(row.disclosure),
                chosen_by=row.chosen_by,
                chosen_at=row.chosen_at,
            )
            for row in history
        ],
    )


def choose(session: Session, who: Principal, body: ConsentUpdate) -> ConsentHistoryOut:
    """Record each field's new choice and put it in force in the same transaction:
    the next search already sees it."""
    lecturer = own(session, who)
    assert lecturer.id is not None
    at = now_utc()
    for field in ConsentField:
        chosen = getattr(body, field.value)
        if chosen is None:
            continue
        store.add_consent(
            session,
            LecturerConsent(
                lecturer_id=lecturer.id,
                field=field.value,
                disclosure=chosen.value,
                chosen_by=who.sub,
                chosen_at=at,
            ),
        )
        setattr(lecturer, f"{field.value}_disclosure", chosen.value)
    lecturer.updated_at = at
    session.add(lecturer)
    session.flush()
    if body.engagements is not None:
        # The search index ranks by engagement day only for those who may see
        # the records: its days follow the new choice.
        reindex(session, lecturer.id)
    return consent_history(session, who)


def own_engagement(session: Session, who: Principal, engagement_id: int) -> Engagement:
    lecturer = own(session, who)
    engagement = engagement_store.get(session, engagement_id)
    # Another lecturer's record is as unknown as a missing one.
    if engagement is None or engagement.lecturer_id != lecturer.id:
        raise NotFound("no such engagement")
    return engagement


def set_hidden(session: Session, who: Principal, engagement_id: int, hidden: bool) -> Engagement:
    engagement = own_engagement(session, who, engagement_id)
    engagement.hidden = hidden
    session.add(engagement)
    session.flush()
    reindex(session, engagement.lecturer_id)
    return engagement


def own_engagements(
    session: Session, who: Principal, params: PageParams
) -> tuple[list[Engagement], str | None]:
    lecturer = own(session, who)
    assert lecturer.id is not None
    return engagement_store.of_lecturer(session, lecturer.id, params)
