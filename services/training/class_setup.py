"""Setting up a training class whose sessions name lecturers kept by the speakers service.

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

from sqlmodel import Session

from services.common.errors import Conflict, FieldError, Invalid, Problem
from services.training.clients import EngagementRequest, SpeakersClient
from services.training.models import ClassSession, SessionLecturer, TrainingClass
from services.training.schemas.catalogue import ClassCreate, SessionIn
from services.training.store import catalogue, classes

log = logging.getLogger("renshi.training.classes")


def class_ref(training_class: TrainingClass) -> str:
    return f"training:{training_class.code}"


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
            row = ClassSession(
                class_id=training_class.id,
                number=item.number,
                held_on=item.held_on,
                hours=item.hours,
                topic=item.topic,
            )
            session.add(row)
            session.flush()
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
                    )
                )
                recorded.append(engagement.id)
                session.add(
                    SessionLecturer(
                        session_id=row.id, lecturer_id=lecturer_id, engagement_id=engagement.id
                    )
                )
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
    seen: set[int] = set()
    for i, item in enumerate(sessions):
        if item.number in seen:
            raise Invalid(
                "session numbers repeat",
                errors=[FieldError(field=f"body.sessions.{i}.number", reason="repeated")],
            )
        seen.add(item.number)


def create_class(
    session: Session, speakers: SpeakersClient, body: ClassCreate, actor: str
) -> TrainingClass:
    if classes.find_by_code(session, body.code) is not None:
        raise Conflict("a class with this code exists")
    if body.course_id is not None and catalogue.get_course(session, body.course_id) is None:
        raise Invalid(
            "no such course",
            errors=[FieldError(field="body.course_id", reason="no such course")],
        )
    _check_numbers(body.sessions)
    _check_lecturers(speakers, [(f"body.sessions.{i}", s) for i, s in enumerate(body.sessions)])
    training_class = TrainingClass(
        code=body.code,
        title=body.title,
        agency_code=body.agency_code,
        course_id=body.course_id,
        created_by=actor,
    )
    session.add(training_class)
    session.flush()
    _write_sessions(session, speakers, training_class, body.sessions)
    return training_class


def add_session(
    session: Session, speakers: SpeakersClient, training_class: TrainingClass, body: SessionIn
) -> None:
    assert training_class.id is not None
    if body.number in classes.session_numbers(session, training_class.id):
        raise Conflict(
            "session number already used",
            errors=[FieldError(field="body.number", reason="already used")],
        )
    _check_lecturers(speakers, [("body", body)])
    _write_sessions(session, speakers, training_class, [body])
