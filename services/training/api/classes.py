"""Training classes (班別): sessions and their lecturers, checked with the speakers service."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_RESPONSES
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.training.access import ClassWriter, RecordReader
from services.training.clients import Peers, peer_clients
from services.training.schemas.catalogue import (
    ClassCreate,
    ClassOut,
    SessionIn,
    SessionLecturerOut,
    SessionOut,
)
from services.training.schemas.common import AgencyCode
from services.training.service import classes
from services.training.service.classes import ClassView

router = APIRouter(prefix="/classes", tags=["classes"])
PeersDep = Annotated[Peers, Depends(peer_clients)]
SPEAKERS_DOWN: dict[int | str, dict[str, Any]] = {
    503: {
        **PROBLEM_RESPONSES[500],
        "description": "The speakers service is unavailable; nothing was written",
    }
}


def class_out(view: ClassView) -> ClassOut:
    training_class = view.training_class
    assert training_class.id is not None
    return ClassOut(
        id=training_class.id,
        code=training_class.code,
        title=training_class.title,
        agency_code=training_class.agency_code,
        course_id=training_class.course_id,
        created_by=training_class.created_by,
        created_at=training_class.created_at,
        sessions=[
            SessionOut(
                number=s.number,
                held_on=s.held_on,
                hours=s.hours,
                topic=s.topic,
                lecturers=[
                    SessionLecturerOut(lecturer_id=x.lecturer_id, engagement_id=x.engagement_id)
                    for x in lecturers
                ],
            )
            for s, lecturers in view.sessions
        ],
    )


@router.post(
    "",
    summary="Create a class with its sessions and lecturers",
    response_model=ClassOut,
    status_code=201,
    responses={**SPEAKERS_DOWN, **CONFLICT_RESPONSES},
)
def create_class(
    body: ClassCreate, session: SessionDep, who: ClassWriter, peers: PeersDep
) -> ClassOut:
    return class_out(classes.create_class(session, peers, who, body))


@router.post(
    "/{class_id}/sessions",
    summary="Add a session to a class",
    response_model=ClassOut,
    status_code=201,
    responses={**SPEAKERS_DOWN, **CONFLICT_RESPONSES},
)
def add_session(
    class_id: Id,
    body: SessionIn,
    session: SessionDep,
    who: ClassWriter,
    peers: PeersDep,
) -> ClassOut:
    return class_out(classes.add_session(session, peers, who, class_id, body))


@router.get("", summary="List classes", response_model=Page[ClassOut])
def list_classes(
    session: SessionDep,
    _who: RecordReader,
    page: PageDep,
    agency_code: Annotated[AgencyCode | None, Query()] = None,
) -> Page[ClassOut]:
    views, cursor = classes.page(session, page, agency_code)
    return Page[ClassOut](items=[class_out(v) for v in views], next_cursor=cursor, limit=page.limit)


@router.get("/{class_id}", summary="One class", response_model=ClassOut)
def get_class(class_id: Id, session: SessionDep, _who: RecordReader) -> ClassOut:
    return class_out(classes.read(session, class_id))
