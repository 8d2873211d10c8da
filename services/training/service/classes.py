"""Training classes whose sessions name lecturers kept by the speakers service:
setting one up, adding a session, reading them.

Nothing is half-written: every lecturer is checked with speakers before any row is
written; the engagements are then recorded there one by one, and if one fails those
already recorded are withdrawn again and the error propagates, so the request's
transaction rolls back. Should the final commit fail after the engagements were
recorded, a retry finds them again: speakers records them idempotently by
(class, session, lecturer).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from services.common.errors import Conflict, FieldError, Invalid, NotFound, Problem
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.training.access import CLASSES_WRITE, check_agency
from services.training.clients import EngagementRequest, Peers, SpeakersClient
from services.training.domain.classes import first_repeated
from services.training.models import ClassSession, SessionLecturer, TrainingClass
from services.training.schemas.catalogue import ClassCreate, SessionIn
from services.training.store import catalogue, classes

log = logging.getLogger("renshi.training.classes")


@dataclass(frozen=True)
class ClassView:
    """A class with its sessions in number order, each with its lecturers."""

    training_class: TrainingClass
    sessions: list[tuple[ClassSession, list[SessionLecturer]]]


def class_ref(training_class: TrainingClass) -> str:
    return f"training:{training_class.code}"


def _view(session: Session, training_class: TrainingClass) -> ClassView:
    assert training_class.id is not None
    return ClassView(training_class, classes.sessions_of(session, training_class.id))


def _check_lecturers(speakers: SpeakersClient, sessions: Sequence[tuple[str, SessionIn]]) -> None:
    """Every lecturer must exist in the directory; `sessions` pairs each with its field path."""
    known: dict[int, bool] = {}
    errors = []
    for where, item in sessions:
        for j, lecturer_id in enumerate(item.lecturer_ids):
            if lecturer_id not in known:
                lecturer = speakers.lecturer(lecturer_id)
                known[lecturer_id] = lecturer is not None and lecturer.active
            if not known[lecturer_id]:
                errors.append(
                    FieldError(
                        field=f"{where}.lecturer_ids.{j}",
                        reason="no such lecturer in the lecturer directory",
                        code="unknown_lecturer",
                    )
                )
    if errors:
        raise Invalid("some lecturers are unknown", errors=errors)


def _write_sessions(
    session: Session,
    speakers: SpeakersClient,
    training_class: TrainingClass,
    sessions: Sequence[SessionIn],
) -> None:
    assert training_class.id is not None
    recorded: list[int] = []
    try:
        for item in sessions:
            row = classes.add_session(
                session,
                training_class.id,
                number=item.number,
                held_on=item.held_on,
                hours=item.hours,
                topic=item.topic,
            )
            assert row.id is not None
            for lecturer_id in dict.fromkeys(item.lecturer_ids):
                engagement = speakers.record_engagement(
                    EngagementRequest(
                        class_ref=class_ref(training_class),
                        session_number=item.number,
                        lecturer_id=lecturer_id,
                        agency_code=training_class.agency_code,
                        held_on=item.held_on,
                        hours=item.hours,
                        topic=item.topic or training_class.title,
                        class_name=training_class.title,
                        course_name=item.topic or training_class.title,
                    )
                )
                recorded.append(engagement.id)
                classes.add_lecturer(session, row.id, lecturer_id, engagement.id)
        session.flush()
    except Problem:
        _compensate(speakers, recorded)
        raise


def _compensate(speakers: SpeakersClient, engagement_ids: list[int]) -> None:
    for engagement_id in reversed(engagement_ids):
        try:
            speakers.withdraw_engagement(engagement_id)
        except Problem:
            # Left for a retry to find (idempotent) or an operator to remove.
            log.warning("engagement left after a failed class write", extra={"id": engagement_id})


def _check_numbers(sessions: Sequence[SessionIn]) -> None:
    repeated = first_repeated(item.number for item in sessions)
    if repeated is not None:
        raise Invalid(
            "session numbers repeat",
            errors=[FieldError(field=f"body.sessions.{repeated}.number", reason="repeated")],
        )


def create_class(session: Session, peers: Peers, who: Principal, body: ClassCreate) -> ClassView:
    check_agency(who, CLASSES_WRITE, body.agency_code)
    # Opened before anything is read: an unconfigured speakers service answers 503.
    speakers = peers.speakers()
    if classes.find_by_code(session, body.code) is not None:
        raise Conflict("a class with this code exists")
    if body.course_id is not None and catalogue.get_course(session, body.course_id) is None:
        raise Invalid(
            "no such course",
            errors=[FieldError(field="body.course_id", reason="no such course")],
        )
    _check_numbers(body.sessions)
    _check_lecturers(speakers, [(f"body.sessions.{i}", s) for i, s in enumerate(body.sessions)])
    training_class = classes.add_class(
        session,
        code=body.code,
        title=body.title,
        agency_code=body.agency_code,
        course_id=body.course_id,
        created_by=who.sub,
    )
    _write_sessions(session, speakers, training_class, body.sessions)
    return _view(session, training_class)


def _class(session: Session, class_id: int) -> TrainingClass:
    training_class = classes.get_class(session, class_id)
    if training_class is None:
        raise NotFound("no such class")
    return training_class


def add_session(
    session: Session, peers: Peers, who: Principal, class_id: int, body: SessionIn
) -> ClassView:
    training_class = _class(session, class_id)
    check_agency(who, CLASSES_WRITE, training_class.agency_code)
    speakers = peers.speakers()
    assert training_class.id is not None
    if body.number in classes.session_numbers(session, training_class.id):
        raise Conflict(
            "session number already used",
            errors=[FieldError(field="body.number", reason="already used")],
        )
    _check_lecturers(speakers, [("body", body)])
    _write_sessions(session, speakers, training_class, [body])
    return _view(session, training_class)


def read(session: Session, class_id: int) -> ClassView:
    return _view(session, _class(session, class_id))


def page(
    session: Session, params: PageParams, agency_code: str | None
) -> tuple[list[ClassView], str | None]:
    rows, cursor = classes.list_classes(session, params, agency_code)
    return [_view(session, c) for c in rows], cursor
