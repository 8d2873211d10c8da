"""Queries of staffing: the persons a search finds, their page, the counts per
agency, the candidates of a team slot, an agency's summary and its table-51 rows.

Every query starts from `talent_persons` (where a person works, as the nightly
pull last said) narrowed by a `SearchFilter`; the certificate condition is "a
certificate of one of these catalogue versions, valid on the day", written once
in `valid_on` (domain/staffing.py says the rule). When the maintained masks
cover the day (store/person_certificates.py), role and certificate conditions
are bit tests on the person's row instead: a scope's counts are one pass over
its rows, with no per-person EXISTS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from services.certs.domain.staffing import (
    COUNTED_STATES,
    KIND_ORDER,
    NOT_PLAYED,
    ROLE_ORDER,
    SearchFilter,
    SortKey,
    kind_level_bit,
    role_bit,
    roles_bits,
    slot_rank_parts,
)
from services.certs.domain.talent import Level
from services.certs.domain.workflow import State
from services.certs.models import (
    CatalogueEntry,
    CatalogueVersion,
    Certificate,
    PersonAiHours,
    TalentPerson,
    TalentRoleAssignment,
)
from services.certs.store import person_certificates

P = TalentPerson
H = PersonAiHours
R = TalentRoleAssignment
C = Certificate


def plan_serially(session: Session) -> None:
    """Plan the rest of the transaction's queries without parallel workers (on
    PostgreSQL; SQLite has none).

    A staffing read is a few index passes of tens of milliseconds. At the
    benchmark's size (300,000 persons) on a two-core database server,
    PostgreSQL 15 chose parallel plans for the counts per agency, the unit
    filter and the summaries, and each ran slower than its serial plan (the
    counts of a role over 20 agencies 41 against 31 ms; a whole search often by
    half): starting workers and coordinating a parallel B-tree scan over an IN
    list of agencies cost more than the second core gave back. `SET LOCAL`
    holds for this transaction only; the jobs and the other services keep the
    server's setting."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def valid_on(day: date, c: Any = C) -> ColumnElement[bool]:
    """A certificate (of `c`, the table or an alias) valid on `day`
    (domain/staffing.py: `valid_on`)."""
    return and_(
        # `state || ''`, not the bare column: SQLite 3.40 (Debian 12's, Python's
        # sqlite3 here), once ANALYZE has found (version, person) nearly unique,
        # seeks `state IN (...)` and then skips the `obtained_on` bound on the
        # index's next column, and finds a certificate obtained after the day
        # (fixed in later SQLite). Tested on the index entries read all the same.
        col(c.state).concat("").in_(COUNTED_STATES),
        col(c.obtained_on) <= day,
        or_(col(c.expires_on).is_(None), col(c.expires_on) > day),
    )


def _live_role(roles: Sequence[str]) -> ColumnElement[bool]:
    # Aliases: the outer query may join the same tables (hours for sorting), and
    # an EXISTS on the bare table would correlate with that join.
    r = aliased(R)
    return exists().where(
        col(r.person_id) == col(P.person_id),
        col(r.role).in_(sorted(roles)),
        col(r.ended_at).is_(None),
    )


def conditions(f: SearchFilter, *, hours_read: bool = False) -> list[ColumnElement[bool]]:
    """The persons a search finds, as WHERE conditions on `talent_persons`
    (`hours_read`: the query reads the year's hours rows in their order and says
    the hours condition on them)."""
    out: list[ColumnElement[bool]] = []
    if f.agencies is not None and hours_read and len(f.agencies) > 1:
        # Not by the agency index: SQLite would read every person of a scope's
        # agencies and sort them, where reading the hours in order stops at a
        # page. One agency asked is left to the planner (often few persons).
        out.append(col(P.agency_code).concat("").in_(sorted(f.agencies)))
    elif f.agencies is not None:
        out.append(col(P.agency_code).in_(sorted(f.agencies)))
    if f.unit_id is not None:
        out.append(col(P.unit_id) == f.unit_id)
    if f.roles and f.masks_cover:
        out.append(has_bits(col(P.live_roles), roles_bits(f.roles)))
    elif f.roles:
        out.append(_live_role(sorted(f.roles)))
    if f.version_ids is not None and f.masks_cover and f.mask_bits is not None:
        out.append(has_bits(col(P.valid_mask), f.mask_bits))
    elif f.version_ids is not None:
        out.append(_holds(f.version_ids, f.day))
    # No hours row is 0 hours: "at least 0" asks nothing.
    if not hours_read and f.min_ai_centi is not None and f.min_ai_centi > 0 and f.hours_copied:
        # No person has hours of a later year, so a person's row holds the
        # year's hours, or a year before it (none of this year: 0 hours).
        out.append(col(P.hours_year) == f.year)
        out.append(col(P.hours_centi) >= f.min_ai_centi)
    elif not hours_read and f.min_ai_centi is not None and f.min_ai_centi > 0:
        h = aliased(H)
        out.append(
            exists().where(
                col(h.person_id) == col(P.person_id),
                col(h.year) == f.year,
                col(h.ai_centi) >= f.min_ai_centi,
            )
        )
    return out


def has_bits(column: Any, bits: int) -> ColumnElement[bool]:
    """Some of `bits` are set in the mask `column` (no bits: nobody)."""
    if not bits:
        return literal(False)
    tested: ColumnElement[bool] = column.op("&")(literal(bits)) != 0
    return tested


def _holds(version_ids: Iterable[int], day: date) -> ColumnElement[bool]:
    """The person holds a certificate of one of these versions valid on `day`."""
    c = aliased(C)
    return exists().where(
        col(c.person_id) == col(P.person_id),
        col(c.catalogue_version_id).in_(sorted(version_ids)),
        valid_on(day, c),
    )


def _hours_join(year: int) -> ColumnElement[bool]:
    return and_(col(H.person_id) == col(P.person_id), col(H.year) == year)


@dataclass(frozen=True, slots=True)
class FoundPerson:
    person_id: str
    agency_code: str
    unit_id: str
    ai_centi: int
    valid_certificates: int  # counted only when sorting by it; else -1


_PLACE = (col(P.person_id), col(P.agency_code), col(P.unit_id))


def by_hours(
    session: Session,
    f: SearchFilter,
    limit: int,
    after: tuple[int, str] | None = None,
    extra: Sequence[ColumnElement[bool]] = (),
    matching: int | None = None,
) -> list[tuple[str, str, str, int]]:
    """Up to `limit` persons meeting `f` (and `extra`) by AI hours of the year,
    most first, ties by person id, after the key `after`: (person, agency,
    unit, hours). `matching`: how many persons meet them, when the caller
    counted.

    Few of them (`_read_whole`) are read whole and sorted. More are read in
    two runs, each stopping once the page is full: the hours rows with some
    hours, in the order of `ix_person_ai_hours_year_hours_order`; then the
    persons with none (no row, or 0) by person id — the same order as sorting
    every person by hours with no row as 0, hours never being negative."""
    if _read_whole(session, f, extra, matching):
        return _by_hours_sorted(session, f, limit, after, extra)
    out: list[tuple[str, str, str, int]] = []
    floor = f.min_ai_centi if f.min_ai_centi is not None and f.min_ai_centi > 0 else None
    if after is None or after[0] > 0:
        stmt = (
            select(*_PLACE, col(H.ai_centi))
            .select_from(H)
            .join(P, col(P.person_id) == col(H.person_id))
            .where(
                col(H.year) == f.year,
                col(H.ai_centi) >= (floor or 1),
                *conditions(f, hours_read=True),
                *extra,
            )
        )
        if after is not None:
            stmt = stmt.where(
                or_(
                    col(H.ai_centi) < after[0],
                    and_(col(H.ai_centi) == after[0], col(H.person_id) > after[1]),
                )
            )
        stmt = stmt.order_by(col(H.ai_centi).desc(), col(H.person_id)).limit(limit)
        out = [(r[0], r[1], r[2], int(r[3])) for r in session.execute(stmt).all()]
    if len(out) >= limit or floor is not None:
        return out
    h = aliased(H)
    with_hours = exists().where(
        col(h.person_id) == col(P.person_id), col(h.year) == f.year, col(h.ai_centi) > 0
    )
    rest = select(*_PLACE).where(~with_hours, *conditions(f), *extra)
    if after is not None and after[0] == 0:
        rest = rest.where(col(P.person_id) > after[1])
    rest = rest.order_by(col(P.person_id)).limit(limit - len(out))
    return out + [(r[0], r[1], r[2], 0) for r in session.execute(rest).all()]


# A unit's persons up to this many (`_SORT_FEW_SQLITE` on SQLite), and any
# filter's up to `_READ_FOUND`, are read and sorted (`_by_hours_sorted`); more,
# the hours are walked in order (a page then comes soon enough). Walking the
# hours for a narrow filter passes most of the scope's hours rows before a page
# is full: a unit's persons are alike in hours (the unit's work), and a page of
# 50 among 600 of 75,000 persons (a role, a kind and an agency together) is one
# row in a hundred.
_SORT_FEW = 8000
# SQLite walks the hours rows joining each to its person by key, slower a row
# than PostgreSQL's walk: a unit of 23,000 persons over 20 agencies (300,000
# persons) took 88 ms walked and 46 ms sorted there, where PostgreSQL took 32
# walked and 47 sorted.
_SORT_FEW_SQLITE = 30_000
_READ_FOUND = 2000


def _read_whole(
    session: Session, f: SearchFilter, extra: Sequence[ColumnElement[bool]], matching: int | None
) -> bool:
    """Whether `by_hours` reads the persons found whole and sorts them."""
    unit_few = _SORT_FEW_SQLITE if session.get_bind().dialect.name == "sqlite" else _SORT_FEW
    if matching is not None:
        return matching <= _READ_FOUND or (f.unit_id is not None and matching <= unit_few)
    return f.unit_id is not None and _at_most(session, [*conditions(f), *extra], unit_few)


def _at_most(session: Session, where: Sequence[ColumnElement[bool]], n: int) -> bool:
    """At most `n` persons meet `where` (counted no further than n + 1)."""
    few = select(literal(1)).select_from(P).where(*where).limit(n + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(few)) or 0) <= n


def _by_hours_sorted(
    session: Session,
    f: SearchFilter,
    limit: int,
    after: tuple[int, str] | None,
    extra: Sequence[ColumnElement[bool]],
) -> list[tuple[str, str, str, int]]:
    """`by_hours` for a filter that keeps few persons: its persons read along
    their own index and sorted, where walking the year's hours in order would
    pass most of the scope's hours rows before a page is full. From the hours
    copied on their rows when those are the year's, so that nothing is joined:
    PostgreSQL cannot tell how few pass the bit tests and would hash-join every
    hours row of the year (55 ms for 618 persons; 18 ms without the join)."""
    stmt: Any
    hours: ColumnElement[int]
    if f.hours_copied:
        hours = case((col(P.hours_year) == f.year, col(P.hours_centi)), else_=literal(0))
        stmt = select(*_PLACE, hours).where(*conditions(f), *extra)
    else:
        hours = func.coalesce(col(H.ai_centi), 0)
        stmt = (
            select(*_PLACE, hours)
            .select_from(P)
            .outerjoin(H, _hours_join(f.year))
            .where(*conditions(f), *extra)
        )
    if after is not None:
        stmt = stmt.where(
            or_(hours < after[0], and_(hours == after[0], col(P.person_id) > after[1]))
        )
    stmt = stmt.order_by(hours.desc(), col(P.person_id)).limit(limit)
    return [(r[0], r[1], r[2], int(r[3])) for r in session.execute(stmt).all()]


def search_page(
    session: Session,
    f: SearchFilter,
    sort: SortKey,
    limit: int,
    after: tuple[int, str] | None,
    *,
    counts_cover: bool = False,
    matching: int | None = None,
) -> tuple[list[FoundPerson], tuple[int, str] | None]:
    """One page in `sort` order after the key `after` (sort value, person id),
    and the key to continue from; None on the last page. `counts_cover`: the
    maintained counts of valid certificates are exact on the filter's day
    (store/person_certificates.py), so sorting by them needs no count.
    `matching`: how many persons meet `f`, when the caller counted them."""
    if sort is SortKey.AI_HOURS:
        rows = [(*r, -1) for r in by_hours(session, f, limit + 1, after, matching=matching)]
    else:
        counted: ColumnElement[int]
        stmt = select(*_PLACE).select_from(P)
        if sort is SortKey.CERTIFICATES and counts_cover:
            counted = P.__table__.c.valid_certificates  # type: ignore[attr-defined]
        elif sort is SortKey.CERTIFICATES:
            per_person = (
                select(col(C.person_id).label("pid"), func.count().label("n"))
                .where(valid_on(f.day))
                .group_by(col(C.person_id))
                .subquery()
            )
            counted = func.coalesce(per_person.c.n, 0)
            stmt = stmt.outerjoin(per_person, per_person.c.pid == col(P.person_id))
        else:
            counted = literal(-1)
        stmt = stmt.add_columns(counted.label("n")).where(*conditions(f))
        if after is not None and sort is SortKey.PERSON_ID:
            stmt = stmt.where(col(P.person_id) > after[1])
        elif after is not None:
            stmt = stmt.where(
                or_(
                    counted < after[0],
                    and_(counted == after[0], col(P.person_id) > after[1]),
                )
            )
        if sort is SortKey.PERSON_ID:
            stmt = stmt.order_by(col(P.person_id))
        else:
            stmt = stmt.order_by(counted.desc(), col(P.person_id))
        page = session.execute(stmt.limit(limit + 1)).all()
        # The hours of the page's persons only, not joined to every person.
        hours = hours_of(session, [r[0] for r in page], f.year)
        rows = [
            (r[0], r[1], r[2], hours[r[0]].ai_centi if r[0] in hours else 0, int(r[3]))
            for r in page
        ]
    found = [FoundPerson(p, a, u, int(h), int(n)) for p, a, u, h, n in rows[:limit]]
    if len(rows) <= limit:
        return found, None
    last = found[-1]
    key_value = {
        SortKey.AI_HOURS: last.ai_centi,
        SortKey.CERTIFICATES: last.valid_certificates,
        SortKey.PERSON_ID: 0,
    }[sort]
    return found, (key_value, last.person_id)


def counts_per_agency(session: Session, f: SearchFilter) -> list[tuple[str, int]]:
    rows = session.execute(
        select(col(P.agency_code), func.count())
        .where(*conditions(f))
        .group_by(col(P.agency_code))
        .order_by(col(P.agency_code))
    ).all()
    return [(str(a), int(n)) for a, n in rows]


def live_roles(session: Session, person_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not person_ids:
        return out
    rows = session.execute(
        select(col(R.person_id), col(R.role))
        .where(col(R.person_id).in_(list(person_ids)), col(R.ended_at).is_(None))
        .order_by(col(R.person_id), col(R.role))
    ).all()
    for person_id, role in rows:
        out.setdefault(person_id, []).append(role)
    return out


@dataclass(frozen=True, slots=True)
class HeldCertificate:
    id: int
    person_id: str
    agency_code: str
    code: str
    name: str
    issuer: str
    kind: str
    level: str  # the issuer's words, shown and exported
    level_rank: str  # the rank the rules compare
    roles: tuple[str, ...]
    certificate_number: str
    obtained_on: date
    expires_on: date | None
    state: str
    version_id: int


_HELD_COLUMNS = (
    col(C.id),
    col(C.person_id),
    col(C.agency_code),
    col(CatalogueEntry.code),
    col(CatalogueVersion.name),
    col(C.issuer),
    col(CatalogueVersion.kind),
    col(CatalogueVersion.level),
    col(CatalogueVersion.level_rank),
    col(CatalogueVersion.roles),
    col(C.certificate_number),
    col(C.obtained_on),
    col(C.expires_on),
    col(C.state),
    col(C.catalogue_version_id),
)


def _held(rows: Sequence[Any]) -> list[HeldCertificate]:
    return [
        HeldCertificate(
            id=int(r[0]),
            person_id=str(r[1]),
            agency_code=str(r[2]),
            code=str(r[3]),
            name=str(r[4]),
            issuer=str(r[5]),
            kind=str(r[6]),
            level=str(r[7]),
            level_rank=str(r[8]),
            roles=tuple(r[9] or ()),
            certificate_number=str(r[10]),
            obtained_on=r[11],
            expires_on=r[12],
            state=str(r[13]),
            version_id=int(r[14]),
        )
        for r in rows
    ]


def valid_certificates(
    session: Session, person_ids: Sequence[str], day: date
) -> dict[str, list[HeldCertificate]]:
    """The certificates valid on `day` of these persons, by person, oldest first."""
    out: dict[str, list[HeldCertificate]] = {}
    if not person_ids:
        return out
    stmt = (
        select(*_HELD_COLUMNS)
        .join(CatalogueVersion, col(CatalogueVersion.id) == col(C.catalogue_version_id))
        .join(CatalogueEntry, col(CatalogueEntry.id) == col(CatalogueVersion.entry_id))
        .where(col(C.person_id).in_(list(person_ids)), valid_on(day))
        .order_by(col(C.person_id), col(C.obtained_on), col(C.id))
    )
    for held in _held(session.execute(stmt).all()):
        out.setdefault(held.person_id, []).append(held)
    return out


def hours_of(session: Session, person_ids: Sequence[str], year: int) -> dict[str, PersonAiHours]:
    if not person_ids:
        return {}
    rows = session.scalars(
        select(PersonAiHours).where(col(H.person_id).in_(list(person_ids)), col(H.year) == year)
    )
    return {row.person_id: row for row in rows}


def verified_in(session: Session, agencies: Sequence[str]) -> list[HeldCertificate]:
    """Verified certificates registered in these agencies (WebHR table 51),
    by holder, then day obtained."""
    stmt = (
        select(*_HELD_COLUMNS)
        .join(CatalogueVersion, col(CatalogueVersion.id) == col(C.catalogue_version_id))
        .join(CatalogueEntry, col(CatalogueEntry.id) == col(CatalogueVersion.entry_id))
        .where(col(C.agency_code).in_(sorted(agencies)), col(C.state) == State.VERIFIED.value)
        .order_by(col(C.agency_code), col(C.person_id), col(C.obtained_on), col(C.id))
    )
    return _held(session.execute(stmt).all())


# ------------------------------------------------------------- team slots


@dataclass(frozen=True, slots=True)
class RankedRow:
    person_id: str
    agency_code: str
    unit_id: str
    best_level: int  # 0: no certificate supporting the role
    role_certificates: int
    ai_centi: int


def slot_candidates(
    session: Session,
    f: SearchFilter,
    role: str,
    levels: Mapping[int, Sequence[int]],
    limit: int,
    *,
    whole_role: bool = False,
) -> tuple[list[RankedRow], int]:
    """The `limit` best holders of `role` meeting `f`, in the order of
    domain/team.py (best level, how many, AI hours, person id), and how many
    hold the role and meet `f` in all. `levels` maps each level order to the
    catalogue versions of that level supporting the role; `whole_role`: they
    are every version supporting it (no kind or entry asked), which the masks
    record per person."""
    if f.masks_cover and whole_role:
        return _slot_from_ranks(session, f, role, limit)
    supporting = sorted(v for ids in levels.values() for v in ids)
    whens = [
        (col(C.catalogue_version_id).in_(sorted(ids)), literal(level))
        for level, ids in sorted(levels.items(), reverse=True)
        if ids
    ]
    rank = case(*whens, else_=literal(1)) if whens else literal(1)
    holders = select(col(R.person_id)).where(col(R.role) == role, col(R.ended_at).is_(None))
    per_person = (
        select(
            col(C.person_id).label("pid"),
            func.max(rank).label("best"),
            func.count().label("n"),
        )
        .where(
            col(C.catalogue_version_id).in_(supporting),
            valid_on(f.day),
            col(C.person_id).in_(holders),
        )
        .group_by(col(C.person_id))
        .subquery()
    )
    return _ranked(
        session,
        f,
        [*conditions(f), _live_role([role])],
        func.coalesce(per_person.c.best, 0),
        func.coalesce(per_person.c.n, 0),
        limit,
        joined=(per_person, per_person.c.pid == col(P.person_id)),
    )


# A rank (best level, how many) with at most this many persons of the scope is
# read whole rather than along the hours index (see `_slot_from_ranks`).
_READ_WHOLE = 2000


def _slot_from_ranks(
    session: Session, f: SearchFilter, role: str, limit: int
) -> tuple[list[RankedRow], int]:
    """`slot_candidates` of one role from `slot_rank_<role>` (the masks cover
    the day).

    The slot order is the rank (best level, how many), then AI hours, then
    person id. The role's index gives the first `limit` persons by rank alone:
    the ones above the last rank among them are all taken, and only that last
    rank's persons need ordering by hours. Few of them (as many as the page
    still wants, or at most `_READ_WHOLE`) are read whole and ordered here;
    more, along the hours index, stopping once the page is full (`by_hours`)."""
    rank = P.__table__.c[f"slot_rank_{role}"]  # type: ignore[attr-defined]
    where = [*conditions(f), rank > NOT_PLAYED]
    top = list(
        session.execute(select(*_PLACE, rank).where(*where).order_by(rank.desc()).limit(limit))
    )
    if len(top) < limit:
        # Every holder is here.
        return _in_slot_order(session, f, top), len(top)
    last = int(top[-1][3])
    above = [r for r in top if int(r[3]) > last]
    room = limit - len(above)
    # Both counts in one pass over the role's index entries.
    counted = session.execute(
        select(func.count(), func.sum(case((rank == last, 1), else_=0))).where(*where)
    ).one()
    total, at_last = int(counted[0]), int(counted[1] or 0)
    if at_last <= max(room, _READ_WHOLE):
        whole = session.execute(select(*_PLACE, rank).where(*where, rank == last)).all()
        return _in_slot_order(session, f, [*above, *whole])[:limit], total
    best, many = slot_rank_parts(last)
    return [
        *_in_slot_order(session, f, above),
        *(
            RankedRow(p, a, u, best, many, h)
            for p, a, u, h in by_hours(session, f, room, extra=[rank == last])
        ),
    ], total


def _in_slot_order(session: Session, f: SearchFilter, found: Sequence[Any]) -> list[RankedRow]:
    """(person, agency, unit, slot rank) rows with their hours of `f.year`, in
    the slot order."""
    hours = hours_of(session, [r[0] for r in found], f.year)
    rows = [
        RankedRow(p, a, u, *slot_rank_parts(int(n)), hours[p].ai_centi if p in hours else 0)
        for p, a, u, n in found
    ]
    rows.sort(key=lambda r: (-r.best_level, -r.role_certificates, -r.ai_centi, r.person_id))
    return rows


def _ranked(
    session: Session,
    f: SearchFilter,
    where: list[ColumnElement[bool]],
    best: ColumnElement[Any],
    many: ColumnElement[Any],
    limit: int,
    *,
    joined: tuple[Any, ColumnElement[bool]],
) -> tuple[list[RankedRow], int]:
    """The first `limit` persons meeting `where` in the slot order (best level,
    how many, AI hours of `f.year`, person id), and how many meet it in all
    (counted only when the page is full). `joined`: a FROM item and its join
    condition, outer-joined for `best` and `many`."""
    hours = func.coalesce(col(H.ai_centi), 0)
    stmt = select(col(P.person_id), col(P.agency_code), col(P.unit_id), best, many, hours)
    stmt = (
        stmt.select_from(P)
        .outerjoin(*joined)
        .outerjoin(H, _hours_join(f.year))
        .where(*where)
        .order_by(best.desc(), many.desc(), hours.desc(), col(P.person_id))
        .limit(limit)
    )
    rows = [
        RankedRow(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5]))
        for r in session.execute(stmt).all()
    ]
    if len(rows) < limit:
        return rows, len(rows)
    total = session.scalar(select(func.count()).select_from(P).where(*where))
    return rows, int(total or 0)


# ---------------------------------------------------------- agency summary


def summary_counts(
    session: Session, agencies: Sequence[str], day: date
) -> tuple[list[tuple[str, str, str | None, int]], list[tuple[str, str, int]]]:
    """Persons working in `agencies` with a certificate valid on `day`:
    (agency, kind, live role or None, persons) and (agency, kind, persons)."""
    if person_certificates.counts_cover(session, day):
        return summary_from_masks(session, agencies)
    return summary_by_certificates(session, agencies, day)


def summary_by_certificates(
    session: Session, agencies: Sequence[str], day: date
) -> tuple[list[tuple[str, str, str | None, int]], list[tuple[str, str, int]]]:
    """`summary_counts` from the certificates and role rows."""
    versions = col(CatalogueVersion.id) == col(C.catalogue_version_id)
    holding = (
        select(col(C.person_id).label("pid"), col(CatalogueVersion.kind).label("kind"))
        .join(CatalogueVersion, versions)
        .where(
            valid_on(day),
            # Certificates of the agencies' persons only, not of every person.
            col(C.person_id).in_(
                select(col(P.person_id)).where(col(P.agency_code).in_(sorted(agencies)))
            ),
        )
        .distinct()
        .subquery()
    )
    base = (
        select(col(P.agency_code), holding.c.kind)
        .select_from(P)
        .join(holding, holding.c.pid == col(P.person_id))
        .where(col(P.agency_code).in_(sorted(agencies)))
    )
    by_kind = session.execute(
        base.add_columns(func.count())
        .group_by(col(P.agency_code), holding.c.kind)
        .order_by(col(P.agency_code), holding.c.kind)
    ).all()
    by_role = session.execute(
        base.add_columns(col(R.role), func.count())
        .outerjoin(R, and_(col(R.person_id) == col(P.person_id), col(R.ended_at).is_(None)))
        .group_by(col(P.agency_code), holding.c.kind, col(R.role))
    ).all()
    return (
        [(str(a), str(k), r, int(n)) for a, k, r, n in by_role],
        [(str(a), str(k), int(n)) for a, k, n in by_kind],
    )


def summary_from_masks(
    session: Session, agencies: Sequence[str]
) -> tuple[list[tuple[str, str, str | None, int]], list[tuple[str, str, int]]]:
    """`summary_counts` in one pass over the agencies' rows (the masks cover the
    day): a person holds a kind when any level's bit of it is set."""
    kinds = {kind: sum(kind_level_bit(kind, level) for level in Level) for kind in KIND_ORDER}
    holds = {kind: has_bits(col(P.valid_mask), bits) for kind, bits in kinds.items()}
    plays: dict[str | None, ColumnElement[bool]] = {
        role: has_bits(col(P.live_roles), role_bit(role)) for role in ROLE_ORDER
    }
    plays[None] = col(P.live_roles) == 0
    cells = [(kind, role) for kind in KIND_ORDER for role in [*ROLE_ORDER, None]]
    sums = [func.sum(case((holds[kind], 1), else_=0)) for kind in KIND_ORDER] + [
        func.sum(case((and_(holds[kind], plays[role]), 1), else_=0)) for kind, role in cells
    ]
    rows = session.execute(
        select(col(P.agency_code), *sums)
        .where(col(P.agency_code).in_(sorted(agencies)))
        .group_by(col(P.agency_code))
        .order_by(col(P.agency_code))
    ).all()
    by_kind: list[tuple[str, str, int]] = []
    by_role: list[tuple[str, str, str | None, int]] = []
    for agency, *counts in rows:
        for kind, n in zip(KIND_ORDER, counts, strict=False):
            if n:
                by_kind.append((str(agency), kind, int(n)))
        for (kind, role), n in zip(cells, counts[len(KIND_ORDER) :], strict=True):
            if n:
                by_role.append((str(agency), kind, role, int(n)))
    return by_role, by_kind
