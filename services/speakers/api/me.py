"""A lecturer's own profile, consent, engagement records and messages (`/me/...`)."""

from fastapi import APIRouter

from services.common.db import SessionDep, WriteSessionDep
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.speakers.access import ProfileReader, ProfileWriter
from services.speakers.models import Engagement
from services.speakers.schemas import (
    ConsentHistoryOut,
    ConsentUpdate,
    EngagementOut,
    EngagementVisibility,
    MessageOut,
    ProfileOut,
    ProfileUpdate,
)
from services.speakers.service import messages, profile

router = APIRouter(prefix="/me", tags=["me"])


def _engagement(engagement: Engagement) -> EngagementOut:
    return EngagementOut.model_validate(engagement, from_attributes=True)


@router.get(
    "/profile", summary="My lecturer profile, contact details included", response_model=ProfileOut
)
def read_profile(session: SessionDep, who: ProfileReader) -> ProfileOut:
    return profile.read(session, who)


@router.patch("/profile", summary="Edit my lecturer profile", response_model=ProfileOut)
def edit_profile(body: ProfileUpdate, session: WriteSessionDep, who: ProfileWriter) -> ProfileOut:
    return profile.edit(session, who, body)


@router.get(
    "/consent",
    summary="What each of my fields discloses, and every choice I made",
    response_model=ConsentHistoryOut,
)
def read_consent(session: SessionDep, who: ProfileReader) -> ConsentHistoryOut:
    return profile.consent_history(session, who)


@router.patch(
    "/consent",
    summary="Choose who sees my e-mail, phone, biography and engagement records",
    response_model=ConsentHistoryOut,
)
def choose_consent(
    body: ConsentUpdate, session: WriteSessionDep, who: ProfileWriter
) -> ConsentHistoryOut:
    return profile.choose(session, who, body)


@router.get(
    "/engagements",
    summary="My engagement records, hidden ones included, newest first",
    response_model=Page[EngagementOut],
)
def my_engagements(session: SessionDep, who: ProfileReader, page: PageDep) -> Page[EngagementOut]:
    rows, cursor = profile.own_engagements(session, who, page)
    return Page[EngagementOut](
        items=[_engagement(r) for r in rows], next_cursor=cursor, limit=page.limit
    )


@router.patch(
    "/engagements/{engagement_id}",
    summary="Hide or show one of my engagement records to searchers",
    response_model=EngagementOut,
)
def set_engagement_visibility(
    engagement_id: Id, body: EngagementVisibility, session: WriteSessionDep, who: ProfileWriter
) -> EngagementOut:
    return _engagement(profile.set_hidden(session, who, engagement_id, body.hidden))


@router.get(
    "/messages",
    summary="Messages searchers sent me through the directory, newest first",
    response_model=Page[MessageOut],
)
def my_messages(session: SessionDep, who: ProfileReader, page: PageDep) -> Page[MessageOut]:
    rows, cursor = messages.received(session, who, page)
    return Page[MessageOut](
        items=[MessageOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=cursor,
        limit=page.limit,
    )
