"""The search query over the n-gram index.

Per criterion (one field, one folded term): the values of that field holding
every gram of the term (a term of one character: the values holding that
character; longer: holding each of its bigrams) are the candidates, confirmed
by a substring test on the value itself, since bigrams in a value need not be
adjacent there. Each candidate scores 3 (the value is the term), 2 (starts
with it) or 1 (holds it elsewhere); a lecturer's score for the criterion is its
best value's. Criteria combine by AND; the ranking is the sum of the scores,
then the latest engagement not hidden (none last), then the lecturer id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from services.speakers.domain.text import query_grams
from services.speakers.models import Lecturer, SearchGram, SearchLink, SearchValue

# Standing in for "never engaged" in the ranking, before every real day.
NEVER = date(1, 1, 1)
ENGAGEMENT_FIELDS = frozenset({"class", "course"})


@dataclass(frozen=True)
class Criterion:
    field: str
    term: str  # folded


@dataclass(frozen=True)
class After:
    """The last result of the previous page."""

    score: int
    engaged: date
    lecturer_id: int


@dataclass(frozen=True)
class Hit:
    lecturer_id: int
    score: int
    engaged: date


def _matching_values(criterion: Criterion) -> Any:
    grams = sorted(query_grams(criterion.term))
    holding = select(col(SearchGram.value_id)).where(
        col(SearchGram.field) == criterion.field, col(SearchGram.gram).in_(grams)
    )
    if len(grams) > 1:
        holding = holding.group_by(col(SearchGram.value_id)).having(func.count() == len(grams))
    norm = col(SearchValue.norm)
    quality = case(
        (norm == criterion.term, 3),
        (norm.startswith(criterion.term, autoescape=True), 2),
        else_=1,
    )
    return (
        select(col(SearchValue.id).label("value_id"), quality.label("quality"))
        .where(col(SearchValue.id).in_(holding))
        .where(norm.contains(criterion.term, autoescape=True))
        .subquery()
    )


def _lecturer_scores(criterion: Criterion, n: int) -> Any:
    values = _matching_values(criterion)
    return (
        select(
            col(SearchLink.lecturer_id).label("lecturer_id"),
            func.max(values.c.quality).label("score"),
        )
        .join(values, values.c.value_id == col(SearchLink.value_id))
        .group_by(col(SearchLink.lecturer_id))
        .subquery(f"c{n}")
    )


def search(
    session: Session,
    criteria: Sequence[Criterion],
    engagement_levels: Sequence[str],
    limit: int,
    after: After | None,
) -> list[Hit]:
    """One page (at most `limit` hits, best first) of the lecturers matching
    every criterion. A criterion on class or course names only matches a
    lecturer whose engagement records are disclosed at one of
    `engagement_levels` (what the caller may see)."""
    assert criteria, "at least one criterion"
    scores = [_lecturer_scores(c, n) for n, c in enumerate(criteria)]
    score: ColumnElement[int] = sum((s.c.score for s in scores[1:]), scores[0].c.score)
    engaged = func.coalesce(col(Lecturer.last_engaged_on), literal(NEVER))
    stmt: Any = select(
        col(Lecturer.id).label("lecturer_id"), score.label("score"), engaged.label("engaged")
    ).select_from(Lecturer)
    for s in scores:
        stmt = stmt.join(s, s.c.lecturer_id == col(Lecturer.id))
    stmt = stmt.where(col(Lecturer.active))
    if any(c.field in ENGAGEMENT_FIELDS for c in criteria):
        stmt = stmt.where(col(Lecturer.engagements_disclosure).in_(list(engagement_levels)))
    if after is not None:
        stmt = stmt.where(
            or_(
                score < after.score,
                and_(score == after.score, engaged < after.engaged),
                and_(
                    score == after.score,
                    engaged == after.engaged,
                    col(Lecturer.id) > after.lecturer_id,
                ),
            )
        )
    stmt = stmt.order_by(score.desc(), engaged.desc(), col(Lecturer.id)).limit(limit)
    return [
        Hit(row.lecturer_id, int(row.score), _day(row.engaged)) for row in session.execute(stmt)
    ]


def _day(value: Any) -> date:
    # SQLite hands back coalesce(date, literal) as text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))
