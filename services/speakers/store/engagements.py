"""Queries of engagements."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from services.common.pagination import PageParams, paginate
from services.speakers.models import Engagement


def find(
    session: Session, class_ref: str, session_number: int, lecturer_id: int
) -> Engagement | None:
    return session.scalars(
        select(Engagement).where(
            col(Engagement.class_ref) == class_ref,
            col(Engagement.session_number) == session_number,
            col(Engagement.lecturer_id) == lecturer_id,
        )
    ).first()


def record(session: Session, engagement: Engagement) -> tuple[Engagement, bool]:
    """The engagement for its (class, session, lecturer), and whether it is new."""
    key = (engagement.class_ref, engagement.session_number, engagement.lecturer_id)
    existing = find(session, *key)
    if existing is not None:
        return existing, False
    try:
        # A savepoint: a concurrent twin's insert loses the race without
        # spoiling the request's transaction.
        with session.begin_nested():
            session.add(engagement)
    except IntegrityError:
        twin = find(session, *key)
        assert twin is not None
        return twin, False
    return engagement, True


def get(session: Session, engagement_id: int) -> Engagement | None:
    return session.get(Engagement, engagement_id)


def delete(session: Session, engagement: Engagement) -> None:
    session.delete(engagement)
    session.flush()


def of_lecturer(
    session: Session, lecturer_id: int, params: PageParams
) -> tuple[list[Engagement], str | None]:
    stmt = select(Engagement).where(col(Engagement.lecturer_id) == lecturer_id)
    return paginate(session, stmt, Engagement.id, params, descending=True)


def latest_visible(
    session: Session, lecturer_ids: list[int], per_lecturer: int
) -> dict[int, list[Engagement]]:
    """Each lecturer's latest engagements not hidden, newest first."""
    found: dict[int, list[Engagement]] = {i: [] for i in lecturer_ids}
    if not lecturer_ids:
        return found
    rows = session.scalars(
        select(Engagement)
        .where(col(Engagement.lecturer_id).in_(lecturer_ids), col(Engagement.hidden).is_(False))
        .order_by(
            col(Engagement.lecturer_id), col(Engagement.held_on).desc(), col(Engagement.id).desc()
        )
    )
    for row in rows:
        if len(found[row.lecturer_id]) < per_lecturer:
            found[row.lecturer_id].append(row)
    return found
