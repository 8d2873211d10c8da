"""Engagements: which lecturer taught which session of which class."""

from fastapi import APIRouter, Response, status

from services.common.db import SessionDep, WriteSessionDep
from services.common.ids import Id
from services.speakers.access import EngagementWriter, Searcher
from services.speakers.models import Engagement
from services.speakers.schemas import EngagementCreate, EngagementOut
from services.speakers.service import engagements

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
    body: EngagementCreate, session: WriteSessionDep, who: EngagementWriter, response: Response
) -> EngagementOut:
    engagement, created = engagements.record(session, who, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(engagement)


@router.get("/{engagement_id}", summary="One engagement", response_model=EngagementOut)
def get_engagement(engagement_id: Id, session: SessionDep, who: Searcher) -> EngagementOut:
    return _out(engagements.read_for(session, who, engagement_id))


@router.delete(
    "/{engagement_id}",
    summary="Withdraw an engagement (e.g. the class was not saved)",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_engagement(
    engagement_id: Id, session: WriteSessionDep, who: EngagementWriter
) -> Response:
    engagements.withdraw(session, who, engagement_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
