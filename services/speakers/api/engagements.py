"""Engagements: which lecturer taught which session of which class."""

from fastapi import APIRouter, Response, status

from services.common.db import SessionDep
from services.common.errors import NotFound
from services.common.ids import Id
from services.speakers import store
from services.speakers.access import EngagementWriter, Searcher, check_engagement_agency
from services.speakers.models import Engagement
from services.speakers.schemas import EngagementCreate, EngagementOut

router = APIRouter(prefix="/engagements", tags=["engagements"])


def _out(engagement: Engagement) -> EngagementOut:
    return EngagementOut.model_validate(engagement, from_attributes=True)


@router.post(
    "",
    summary="Record an engagement (idempotent by class, session and lecturer)",
    response_model=EngagementOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": EngagementOut, "description": "Already recorded"}},
)
def record_engagement(
    body: EngagementCreate, session: SessionDep, who: EngagementWriter, response: Response
) -> EngagementOut:
    check_engagement_agency(who, body.agency_code)
    lecturer = store.get_lecturer(session, body.lecturer_id)
    if lecturer is None or not lecturer.active:
        raise NotFound("no such lecturer")
    engagement, created = store.record_engagement(session, body, who.sub)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(engagement)


@router.get("/{engagement_id}", summary="One engagement", response_model=EngagementOut)
def get_engagement(engagement_id: Id, session: SessionDep, _who: Searcher) -> EngagementOut:
    engagement = store.get_engagement(session, engagement_id)
    if engagement is None:
        raise NotFound("no such engagement")
    return _out(engagement)


@router.delete(
    "/{engagement_id}",
    summary="Withdraw an engagement (e.g. the class was not saved)",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_engagement(engagement_id: Id, session: SessionDep, who: EngagementWriter) -> Response:
    engagement = store.get_engagement(session, engagement_id)
    if engagement is None:
        raise NotFound("no such engagement")
    check_engagement_agency(who, engagement.agency_code)
    store.delete_engagement(session, engagement)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
