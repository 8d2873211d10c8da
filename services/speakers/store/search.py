"""The search query over the n-gram index.

Per criterion (one field, one folded term): the values of that field holding
every gram of the term (a term of one character: the values holding that
character; longer: holding each of its bigrams) are the candidates, confirmed
by a substring test on the value itself, since bigrams in a value need not be
adjacent there. Each candidate scores 3 (the value is the term), 2 (starts
with it) or 1 (holds it elsewhere); a lecturer's score for the criterion is its
best value's. Criteria combine by AND; the ranking is the sum of the scores,
then the latest engagement not hidden (none last), then the lecturer id. The
engagement day only counts where the caller may see the lecturer's engagement
records (`consent.ranking_day`); elsewhere the lecturer ranks as never engaged,
so that the order tells nothing the results do not show.

One criterion (the common case) stops early: its matching values are taken by
quality, best first, and for each quality the lecturers linked to those values
are read in ranking order from the links' own index (value, latest engagement
day, lecturer: the day is copied onto every link), each value's best few only,
until the page is full. A common two-character course term links a fifth of
all lecturers; ranking them all before taking a page was what made it slow.

Several criteria stop early too. A lecturer's score is the sum of its best
quality per criterion, so the lecturers of one total are those of each
combination of qualities adding up to it: for each combination, best total
first, the criterion whose values of that quality have the fewest links is
walked in ranking order as above, and each read's lecturers are kept where
the other criteria's values of their quality hold them too and no better value
of any criterion does (a few look-ups by lecturer); the combinations of one
total are merged by day and id. With more combinations than
`MAX_COMBINATIONS`, the lecturers matching all criteria are ranked in one
statement instead (`_ranked_in_one_statement`)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, and_, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from services.speakers.domain.consent import NEVER, Audience, levels_for
from services.speakers.domain.text import query_grams
from services.speakers.models import Lecturer, SearchGram, SearchLink, SearchValue

__all__ = ["NEVER", "After", "Criterion", "Hit", "search"]

ENGAGEMENT_FIELDS = frozenset({"class", "course"})
# The links' column holding each audience's ranking day.
DAY_COLUMN = {Audience.TRAINING_OFFICER: "engaged_on", Audience.SEARCHER: "searcher_engaged_on"}


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


def _lecturer_scores(criterion: Criterion, audience: Audience) -> Any:
    """Per lecturer matching `criterion`: its best value's quality and its
    ranking day for `audience`, from the links alone. A class or course
    criterion keeps only lecturers whose records the audience may see: those
    whose links carry a day for it (such a lecturer has a record not hidden,
    so a real day, after NEVER; the schemas take no earlier one)."""
    values = _matching_values(criterion)
    day = _LINKS.c[DAY_COLUMN[audience]]
    stmt = (
        select(
            _LINKS.c.lecturer_id.label("lecturer_id"),
            func.max(values.c.quality).label("score"),
            func.max(day).label("engaged"),
        )
        .join(values, values.c.value_id == _LINKS.c.value_id)
        .group_by(_LINKS.c.lecturer_id)
    )
    if criterion.field in ENGAGEMENT_FIELDS:
        stmt = stmt.where(day > literal(NEVER, type_=Date))
    return stmt


def search(
    session: Session,
    criteria: Sequence[Criterion],
    audience: Audience,
    limit: int,
    after: After | None,
) -> list[Hit]:
    """One page (at most `limit` hits, best first) of the lecturers matching
    every criterion, for a caller of `audience`. A criterion on class or course
    names only matches a lecturer whose engagement records that audience may
    see, and only those records' days rank it."""
    assert criteria, "at least one criterion"
    if len(criteria) == 1:
        return _one_criterion(session, criteria[0], audience, limit, after)
    return _ranked_together(session, criteria, audience, limit, after)


# The first read per quality takes this many lecturers at least; each further
# read of the same quality takes GROWTH times more (lecturers whose records the
# caller may not see, or who score higher elsewhere, are passed over).
FIRST_READ = 8
GROWTH = 4
# Up to this many values a read is one index range per value (each its best
# few links); past it, one range over them all.
PER_VALUE_READS = 200

# Past this many combinations of qualities (three criteria, each with values
# of all three qualities, make 27), one statement ranks them all instead.
MAX_COMBINATIONS = 9
# A count of links stops here: enough to tell the smaller of two sets.
COUNT_CAP = 5000


def _values_by_quality(session: Session, criterion: Criterion) -> dict[int, list[int]]:
    values = _matching_values(criterion)
    by_quality: dict[int, list[int]] = {}
    for value_id, quality in session.execute(select(values.c.value_id, values.c.quality)):
        by_quality.setdefault(int(quality), []).append(int(value_id))
    return by_quality


Key = tuple[date, int]  # (engaged, lecturer id): the order within one quality


def _after_key(day: Any, lecturer_id: Any) -> ColumnElement[bool]:
    return or_(
        day < bindparam("after_day", type_=Date),
        and_(
            day == bindparam("after_day", type_=Date),
            lecturer_id > bindparam("after_id", type_=Integer),
        ),
    )


@lru_cache(maxsize=512)
def _linked_statement(values: int, after: bool, day_column: str) -> Any:
    """The read of `_linked` for this many values (0: one range over a list of
    any length), ranked by the links' `day_column`, with bound parameters only
    (`v0`… or `values`, `k`, the cursor's `after_day` and `after_id`): built
    once per shape, since building a union of a hundred ranges costs more than
    running it."""
    links = SearchLink.__table__  # type: ignore[attr-defined]
    day = links.c[day_column].label("engaged_on")
    k = bindparam("k", type_=Integer)
    if values == 0:
        stmt = select(links.c.lecturer_id, day).where(
            links.c.value_id.in_(bindparam("values", expanding=True))
        )
        if after:
            stmt = stmt.where(_after_key(links.c[day_column], links.c.lecturer_id))
        return stmt.distinct().order_by(links.c[day_column].desc(), links.c.lecturer_id).limit(k)
    parts = []
    for n in range(values):
        part = select(links.c.lecturer_id, day).where(
            links.c.value_id == bindparam(f"v{n}", type_=Integer)
        )
        if after:
            part = part.where(_after_key(links.c[day_column], links.c.lecturer_id))
        part = part.order_by(links.c[day_column].desc(), links.c.lecturer_id).limit(k)
        parts.append(select(part.subquery()))
    rows: Any = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    return (
        select(rows.c.lecturer_id, rows.c.engaged_on)
        .distinct()
        .order_by(rows.c.engaged_on.desc(), rows.c.lecturer_id)
        .limit(k)
    )


def _linked(
    session: Session, value_ids: list[int], after: Key | None, k: int, audience: Audience
) -> list[Key]:
    """The first `k` distinct lecturers linked to any of `value_ids`, in ranking
    order (latest engagement first, then id), after `after`. Each value's own
    first `k` links suffice: whoever precedes a lecturer in one value's links
    precedes it overall."""
    params: dict[str, Any] = {"k": k}
    per_value = len(value_ids) <= PER_VALUE_READS
    if per_value:
        params.update({f"v{n}": value_id for n, value_id in enumerate(value_ids)})
    else:
        params["values"] = value_ids
    if after is not None:
        params["after_day"], params["after_id"] = after
    stmt = _linked_statement(
        len(value_ids) if per_value else 0, after is not None, DAY_COLUMN[audience]
    )
    return [
        (_day(engaged), int(lecturer_id)) for lecturer_id, engaged in session.execute(stmt, params)
    ]


def _passed_over(
    session: Session,
    lecturer_ids: list[int],
    better: list[int],
    engagement_levels: Sequence[str] | None,
) -> set[int]:
    """Those of `lecturer_ids` not in this quality's results: inactive, records
    not disclosed to the caller (`engagement_levels`, for class and course), or
    linked to a better value (`better`) too."""
    if not lecturer_ids:
        return set()
    params: dict[str, Any] = {"ids": lecturer_ids}
    stmt = _SHOWN_TO if engagement_levels is not None else _SHOWN
    if engagement_levels is not None:
        params["levels"] = list(engagement_levels)
    skipped = set(lecturer_ids) - set(session.scalars(stmt, params))
    if better:
        skipped |= set(session.scalars(_LINKED_BETTER, {"ids": lecturer_ids, "better": better}))
    return skipped


_LECTURERS = Lecturer.__table__  # type: ignore[attr-defined]
_LINKS = SearchLink.__table__  # type: ignore[attr-defined]
# Built once: expanding parameters keep one statement for any number of ids.
_SHOWN = select(_LECTURERS.c.id).where(
    _LECTURERS.c.id.in_(bindparam("ids", expanding=True)), _LECTURERS.c.active
)
_SHOWN_TO = _SHOWN.where(
    _LECTURERS.c.engagements_disclosure.in_(bindparam("levels", expanding=True))
)
_COUNT_LINKS = select(func.count()).select_from(
    select(_LINKS.c.lecturer_id)
    .where(_LINKS.c.value_id.in_(bindparam("values", expanding=True)))
    .limit(COUNT_CAP)
    .subquery()
)
_LINKED_BETTER = (
    select(_LINKS.c.lecturer_id)
    .where(
        _LINKS.c.lecturer_id.in_(bindparam("ids", expanding=True)),
        _LINKS.c.value_id.in_(bindparam("better", expanding=True)),
    )
    .distinct()
)


def _one_criterion(
    session: Session,
    criterion: Criterion,
    audience: Audience,
    limit: int,
    after: After | None,
) -> list[Hit]:
    by_quality = _values_by_quality(session, criterion)
    shown = [d.value for d in levels_for(audience)]
    levels = shown if criterion.field in ENGAGEMENT_FIELDS else None
    hits: list[Hit] = []
    better: list[int] = []
    for quality in sorted(by_quality, reverse=True):
        values = by_quality[quality]
        if after is not None and quality > after.score:
            better += values
            continue
        key = (after.engaged, after.lecturer_id) if after and quality == after.score else None
        k = max(limit - len(hits), FIRST_READ)
        while len(hits) < limit:
            found = _linked(session, values, key, k, audience)
            skipped = _passed_over(session, [i for _, i in found], better, levels)
            for engaged, lecturer_id in found:
                if lecturer_id not in skipped and len(hits) < limit:
                    hits.append(Hit(lecturer_id, quality, engaged))
            if len(found) < k:
                break  # every lecturer of this quality is read
            key = found[-1]
            k *= GROWTH
        if len(hits) >= limit:
            break
        better += values
    return hits


def _ranked_together(
    session: Session,
    criteria: Sequence[Criterion],
    audience: Audience,
    limit: int,
    after: After | None,
) -> list[Hit]:
    by_quality = [_values_by_quality(session, c) for c in criteria]
    if not all(by_quality):
        return []
    combinations = list(itertools.product(*(sorted(q, reverse=True) for q in by_quality)))
    if len(combinations) > MAX_COMBINATIONS:
        return _ranked_in_one_statement(session, criteria, audience, limit, after)
    by_total: dict[int, list[tuple[int, ...]]] = {}
    for combination in combinations:
        by_total.setdefault(sum(combination), []).append(combination)
    needs_records = any(c.field in ENGAGEMENT_FIELDS for c in criteria)
    sizes: dict[tuple[int, int], int] = {}
    hits: list[Hit] = []
    for total in sorted(by_total, reverse=True):
        if after is not None and total > after.score:
            continue
        key = (after.engaged, after.lecturer_id) if after and total == after.score else None
        wanted = limit - len(hits)
        found: list[Key] = []
        for combination in by_total[total]:
            walk = _Combination(session, by_quality, combination, audience, needs_records)
            found += walk.first(key, wanted, sizes)
        found.sort(key=lambda f: (-f[0].toordinal(), f[1]))
        hits += [Hit(lecturer_id, total, day) for day, lecturer_id in found[:wanted]]
        if len(hits) >= limit:
            break
    return hits


@dataclass
class _Combination:
    """The lecturers whose best quality per criterion is `qualities`."""

    session: Session
    by_quality: list[dict[int, list[int]]]
    qualities: tuple[int, ...]
    audience: Audience
    needs_records: bool

    def _values(self, n: int) -> list[int]:
        return self.by_quality[n][self.qualities[n]]

    def _better(self, n: int) -> list[int]:
        q = self.qualities[n]
        return [v for quality, ids in self.by_quality[n].items() if quality > q for v in ids]

    def _size(self, n: int, sizes: dict[tuple[int, int], int]) -> int:
        at = (n, self.qualities[n])
        if at not in sizes:
            sizes[at] = int(self.session.scalar(_COUNT_LINKS, {"values": self._values(n)}) or 0)
        return sizes[at]

    def first(self, after: Key | None, wanted: int, sizes: dict[tuple[int, int], int]) -> list[Key]:
        """The first `wanted` of these lecturers in ranking order, after `after`."""
        n_driver = min(range(len(self.qualities)), key=lambda n: self._size(n, sizes))
        values = self._values(n_driver)
        out: list[Key] = []
        k = max(wanted, FIRST_READ)
        while len(out) < wanted:
            found = _linked(self.session, values, after, k, self.audience)
            kept = self._kept([i for _, i in found], n_driver)
            for day, lecturer_id in found:
                shown = not (self.needs_records and day == NEVER)
                if lecturer_id in kept and shown and len(out) < wanted:
                    out.append((day, lecturer_id))
            if len(found) < k:
                break
            after = found[-1]
            k *= GROWTH
        return out

    def _kept(self, ids: list[int], n_driver: int) -> set[int]:
        """Those of `ids` (linked to the driver's values) that every other
        criterion's values of its quality hold, that no better value of any
        criterion holds, and that are shown."""
        if not ids:
            return set()
        kept = set(self.session.scalars(_SHOWN, {"ids": ids}))
        for n in range(len(self.qualities)):
            if not kept:
                break
            if n != n_driver:
                params = {"ids": sorted(kept), "better": self._values(n)}
                kept &= set(self.session.scalars(_LINKED_BETTER, params))
            better = self._better(n)
            if kept and better:
                params = {"ids": sorted(kept), "better": better}
                kept -= set(self.session.scalars(_LINKED_BETTER, params))
        return kept


def _ranked_in_one_statement(
    session: Session,
    criteria: Sequence[Criterion],
    audience: Audience,
    limit: int,
    after: After | None,
) -> list[Hit]:
    """Every lecturer matching all criteria, ranked in one statement: each
    criterion's lecturers (one row each, from the links), stacked, and kept
    where all criteria gave a row. No join: the candidate sets are a few
    thousand rows each at full size (資安 in course names: 17,780 lecturers),
    and joining them to each other or to the lecturers was planned on
    estimates of one row per set, reading every candidate's lecturer row
    before intersecting; stacking and counting costs the same on any plan."""
    stacked = union_all(*(_lecturer_scores(c, audience) for c in criteria)).subquery("matched")
    score = func.sum(stacked.c.score)
    engaged = func.max(stacked.c.engaged)
    lecturer_id = stacked.c.lecturer_id
    stmt: Any = (
        select(lecturer_id, score.label("score"), engaged.label("engaged"))
        .group_by(lecturer_id)
        .having(func.count() == len(criteria))
    )
    if after is not None:
        stmt = stmt.having(
            or_(
                score < after.score,
                and_(score == after.score, engaged < after.engaged),
                and_(
                    score == after.score, engaged == after.engaged, lecturer_id > after.lecturer_id
                ),
            )
        )
    stmt = stmt.order_by(score.desc(), engaged.desc(), lecturer_id).limit(limit)
    return [
        Hit(row.lecturer_id, int(row.score), _day(row.engaged)) for row in session.execute(stmt)
    ]


def _day(value: Any) -> date:
    # SQLite hands back coalesce(date, literal) as text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))
