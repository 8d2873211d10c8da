"""The n-gram search index: distinct folded values per field (`search_values`),
their unigrams and bigrams (`search_grams`) and which lecturer holds which value
(`search_links`). Kept in step with lecturers and engagements by `reindex`,
called in the same transaction as every change to what a lecturer is found by.

Only an active lecturer is indexed, and only the engagements the lecturer has
not hidden give it class and course names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from services.speakers.domain.consent import Audience, Disclosure, ranking_day
from services.speakers.domain.text import fold, index_grams
from services.speakers.models import (
    CourseCategory,
    Engagement,
    Lecturer,
    LecturerCategory,
    SearchGram,
    SearchLink,
    SearchValue,
)

# Rows per INSERT: inside both databases' bound-parameter limits.
CHUNK = 500

FieldValue = tuple[str, str]
Rows = list[dict[str, Any]]


def _on_conflict_do_nothing(session: Session, table: type[SQLModel], rows: Rows) -> None:
    """INSERT … ON CONFLICT DO NOTHING, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(table).values(rows).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(table).values(rows).on_conflict_do_nothing())


def _chunks(rows: Rows) -> Iterator[Rows]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def lecturer_values(
    lecturer: Lecturer, categories: Iterable[str], engagements: Iterable[tuple[str, str]]
) -> set[FieldValue]:
    """The (field, folded value) pairs a lecturer is found by; `engagements` are
    the (class name, course name) of the engagements not hidden."""
    pairs: list[FieldValue] = [("name", lecturer.name), ("agency", lecturer.organisation)]
    pairs += [("expertise", item) for item in lecturer.expertise]
    pairs += [("category", name) for name in categories]
    for class_name, course_name in engagements:
        pairs += [("class", class_name), ("course", course_name)]
    folded = {(field, fold(text)) for field, text in pairs}
    return {(field, norm) for field, norm in folded if norm}


def link_days(last_engaged: date | None, engagements: str) -> dict[str, date]:
    """The ranking days a lecturer's links carry, one per audience."""
    disclosure = Disclosure(engagements)
    return {
        "engaged_on": ranking_day(last_engaged, disclosure, Audience.TRAINING_OFFICER),
        "searcher_engaged_on": ranking_day(last_engaged, disclosure, Audience.SEARCHER),
    }


def ensure_values(session: Session, pairs: set[FieldValue]) -> dict[FieldValue, int]:
    """The id of each (field, folded value), adding the values (and their grams)
    not indexed yet; safe beside a concurrent writer adding the same value."""
    ids = _existing(session, pairs)
    missing = sorted(pairs - ids.keys())
    if missing:
        for chunk in _chunks([{"field": f, "norm": n} for f, n in missing]):
            _on_conflict_do_nothing(session, SearchValue, chunk)
        added = _existing(session, set(missing))
        grams = [
            {"field": field, "gram": gram, "value_id": added[(field, norm)]}
            for field, norm in missing
            for gram in sorted(index_grams(norm))
        ]
        for chunk in _chunks(grams):
            _on_conflict_do_nothing(session, SearchGram, chunk)
        ids.update(added)
    return ids


def _existing(session: Session, pairs: set[FieldValue]) -> dict[FieldValue, int]:
    found: dict[FieldValue, int] = {}
    ordered = sorted(pairs)
    for start in range(0, len(ordered), CHUNK // 2):
        part = ordered[start : start + CHUNK // 2]
        # FOR KEY SHARE on PostgreSQL (SQLite has one writer at a time): a
        # value another transaction is removing is waited for, then not found,
        # and added again, rather than linked as it disappears.
        rows = session.execute(
            select(col(SearchValue.id), col(SearchValue.field), col(SearchValue.norm))
            .where(
                or_(
                    *(
                        and_(col(SearchValue.field) == f, col(SearchValue.norm) == n)
                        for f, n in part
                    )
                )
            )
            .with_for_update(read=True, key_share=True)
        )
        found.update({(field, norm): vid for vid, field, norm in rows})
    return found


def reindex(session: Session, lecturer_id: int) -> None:
    """Bring one lecturer's index rows and latest engagement day up to date; a
    value the lecturer held and no one holds any more leaves the index. Called
    also when the lecturer's engagement consent changes: the links' ranking
    days follow it."""
    lecturer = session.get(Lecturer, lecturer_id)
    if lecturer is None:
        return
    held = set(
        session.scalars(
            select(col(SearchLink.value_id)).where(col(SearchLink.lecturer_id) == lecturer_id)
        )
    )
    session.execute(delete(SearchLink).where(col(SearchLink.lecturer_id) == lecturer_id))
    visible = session.execute(
        select(
            col(Engagement.class_name), col(Engagement.course_name), col(Engagement.held_on)
        ).where(col(Engagement.lecturer_id) == lecturer_id, col(Engagement.hidden).is_(False))
    ).all()
    lecturer.last_engaged_on = max((row.held_on for row in visible), default=None)
    session.add(lecturer)
    kept: set[int] = set()
    if lecturer.active:
        categories = session.scalars(
            select(col(CourseCategory.name))
            .join(LecturerCategory, col(LecturerCategory.category_id) == col(CourseCategory.id))
            .where(col(LecturerCategory.lecturer_id) == lecturer_id)
        ).all()
        pairs = lecturer_values(
            lecturer, categories, [(r.class_name, r.course_name) for r in visible]
        )
        ids = ensure_values(session, pairs)
        days = link_days(lecturer.last_engaged_on, lecturer.engagements_disclosure)
        kept = {ids[pair] for pair in pairs}
        links = [
            {"value_id": value_id, "lecturer_id": lecturer_id, **days} for value_id in sorted(kept)
        ]
        for chunk in _chunks(links):
            session.execute(insert(SearchLink), chunk)
    session.flush()
    drop_unheld(session, held - kept)


def drop_unheld(session: Session, value_ids: Iterable[int]) -> None:
    """Remove those of `value_ids` that no lecturer holds, with their grams.

    A concurrent writer may link one of them meanwhile (it found the value
    before this transaction removed it): on PostgreSQL the removal then fails
    its foreign key, the savepoint undoes it, and the value stays, held."""
    wanted = sorted(set(value_ids))
    if not wanted:
        return
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        unheld = ~exists().where(col(SearchLink.value_id) == col(SearchValue.id))
        try:
            with session.begin_nested():
                gone = list(
                    session.scalars(
                        select(col(SearchValue.id)).where(col(SearchValue.id).in_(part), unheld)
                    )
                )
                if gone:
                    session.execute(delete(SearchGram).where(col(SearchGram.value_id).in_(gone)))
                    session.execute(delete(SearchValue).where(col(SearchValue.id).in_(gone)))
        except IntegrityError:
            continue


def rebuild_all(session: Session) -> int:
    """Rebuild the whole index from the lecturers and engagements (after a bulk
    load, or to repair it); returns how many links it holds. Values no lecturer
    holds any more are dropped with their grams."""
    session.execute(delete(SearchLink))
    session.execute(delete(SearchGram))
    session.execute(delete(SearchValue))
    by_lecturer: dict[int, set[FieldValue]] = {}
    categories: dict[int, list[str]] = {}
    for lecturer_id, name in session.execute(
        select(col(LecturerCategory.lecturer_id), col(CourseCategory.name)).join(
            CourseCategory, col(LecturerCategory.category_id) == col(CourseCategory.id)
        )
    ):
        categories.setdefault(lecturer_id, []).append(name)
    engagements: dict[int, list[tuple[str, str]]] = {}
    for lecturer_id, class_name, course_name in session.execute(
        select(
            col(Engagement.lecturer_id), col(Engagement.class_name), col(Engagement.course_name)
        ).where(col(Engagement.hidden).is_(False))
    ):
        engagements.setdefault(lecturer_id, []).append((class_name, course_name))
    disclosures: dict[int, str] = {}
    for lecturer in session.scalars(select(Lecturer).where(col(Lecturer.active))):
        assert lecturer.id is not None
        by_lecturer[lecturer.id] = lecturer_values(
            lecturer, categories.get(lecturer.id, []), engagements.get(lecturer.id, [])
        )
        disclosures[lecturer.id] = lecturer.engagements_disclosure
    distinct = sorted(set().union(*by_lecturer.values())) if by_lecturer else []
    ids = {pair: i for i, pair in enumerate(distinct, start=1)}
    values = [{"id": i, "field": f, "norm": n} for (f, n), i in ids.items()]
    grams = [
        {"field": f, "gram": g, "value_id": i}
        for (f, n), i in ids.items()
        for g in sorted(index_grams(n))
    ]
    latest: dict[int, date] = {}
    for lecturer_id, held_on in session.execute(
        select(col(Engagement.lecturer_id), func.max(col(Engagement.held_on)))
        .where(col(Engagement.hidden).is_(False))
        .group_by(col(Engagement.lecturer_id))
    ):
        latest[lecturer_id] = _day(held_on)
    days = {
        lecturer_id: link_days(latest.get(lecturer_id), disclosures[lecturer_id])
        for lecturer_id in by_lecturer
    }
    links = [
        {"value_id": ids[pair], "lecturer_id": lecturer_id, **days[lecturer_id]}
        for lecturer_id, pairs in by_lecturer.items()
        for pair in pairs
    ]
    for rows, table in ((values, SearchValue), (grams, SearchGram), (links, SearchLink)):
        for chunk in _chunks(rows):
            session.execute(insert(table), chunk)
    _fix_value_sequence(session)
    last_day = (
        select(func.max(col(Engagement.held_on)))
        .where(col(Engagement.lecturer_id) == col(Lecturer.id), col(Engagement.hidden).is_(False))
        .scalar_subquery()
    )
    session.execute(update(Lecturer).values(last_engaged_on=last_day))
    session.flush()
    return len(links)


def _fix_value_sequence(session: Session) -> None:
    # Ids were given explicitly; PostgreSQL's sequence must move past them.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence("search_values", "id"),
                    func.coalesce(select(func.max(col(SearchValue.id))).scalar_subquery(), 1),
                )
            )
        )


def _day(value: Any) -> date:
    # SQLite may hand an aggregate's date back as text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))
