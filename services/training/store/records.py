"""Learning records and their append-only history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    false,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from services.common.pagination import PageParams, paginate
from services.common.timeutil import now_utc
from services.training.domain.topics import topic_mask
from services.training.models import Course, LearningRecord, LearningRecordHistory, RosterPerson
from services.training.store import ai_hours
from services.training.store.catalogue import decode_topics
from services.training.store.keys import key_rows

_CHUNK = 400
RECORDS = LearningRecord.__table__  # type: ignore[attr-defined]
HISTORY = LearningRecordHistory.__table__  # type: ignore[attr-defined]
ROSTER = RosterPerson.__table__  # type: ignore[attr-defined]
COURSES = Course.__table__  # type: ignore[attr-defined]
COPY_COLUMNS = (
    "source",
    "external_id",
    "person_id",
    "agency_code",
    "unit_id",
    "course_id",
    "topic_mask",
    "hours",
    "completed_on",
    "completed_at",
    "year",
    "withdrawn",
    "digest",
    "version",
    "created_at",
    "updated_at",
)
# The PostgreSQL types of COPY_COLUMNS, which a binary COPY must be told.
COPY_TYPES = (
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "int4",
    "int4",
    "numeric",
    "date",
    "timestamptz",
    "int4",
    "bool",
    "varchar",
    "int4",
    "timestamptz",
    "timestamptz",
)


@dataclass(frozen=True, slots=True)
class Existing:
    id: int
    digest: str
    version: int
    person_id: str
    agency_code: str  # the agency the record is filed under


def snapshot(record: LearningRecord | Any) -> dict[str, Any]:
    """The fields a correction can change, as JSON for the history."""
    return {
        "person_id": record.person_id,
        "course_id": record.course_id,
        "hours": str(record.hours),
        "completed_on": record.completed_on.isoformat(),
        "completed_at": record.completed_at.isoformat() if record.completed_at else None,
        "withdrawn": bool(record.withdrawn),
    }


# --- bulk, for imports ---------------------------------------------------------------


def existing(session: Session, source: str, external_ids: Iterable[str]) -> dict[str, Existing]:
    """The stored records of these ids: what a re-import compares (the digest),
    needs to update one (id, version) and to tell whose it is (person, agency).
    Their full state is read only for the few that changed (`states`)."""
    wanted = sorted(set(external_ids))
    found: dict[str, Existing] = {}
    cols = RECORDS.c
    picked = (
        cols.id,
        cols.external_id,
        cols.digest,
        cols.version,
        cols.person_id,
        cols.agency_code,
    )
    if session.connection().dialect.name == "postgresql":
        # One probe per batch: a join on the ids walks the unique index, where a
        # long IN list against a table without fresh statistics is a sequential
        # scan comparing every row with every id.
        keys = key_rows(wanted)
        stmt = (
            select(*picked)
            .select_from(keys)
            .join(RECORDS, and_(cols.source == source, cols.external_id == keys.c.v))
        )
        batches = [stmt]
    else:
        batches = [
            select(*picked).where(
                cols.source == source, cols.external_id.in_(wanted[start : start + _CHUNK])
            )
            for start in range(0, len(wanted), _CHUNK)
        ]
    for stmt in batches:
        for id_, external_id, digest, version, person_id, agency_code in session.execute(stmt):
            found[external_id] = Existing(id_, digest, version, person_id, agency_code)
    return found


def states(session: Session, record_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """`snapshot` of each of these records, for the history of a re-import."""
    out: dict[int, dict[str, Any]] = {}
    cols = RECORDS.c
    for start in range(0, len(record_ids), _CHUNK):
        stmt = select(
            cols.id,
            cols.person_id,
            cols.course_id,
            cols.hours,
            cols.completed_on,
            cols.completed_at,
            cols.withdrawn,
        ).where(cols.id.in_(record_ids[start : start + _CHUNK]))
        for row in session.execute(stmt):
            out[row.id] = snapshot(row)
    return out


def insert_many(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """New records, each a tuple of the values of `COPY_COLUMNS` in that order."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY is several times faster than multi-row INSERT for the bulk of an import.
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            names = ", ".join(COPY_COLUMNS)
            # Binary: the driver writes Decimals, dates and timestamps in C, where
            # the text format spends three times as long per row.
            sql = f"COPY learning_records ({names}) FROM STDIN (FORMAT BINARY)"
            with cursor.copy(sql) as copy:
                copy.set_types(COPY_TYPES)
                for row in rows:
                    copy.write_row(row)
        return
    session.execute(insert(RECORDS), [dict(zip(COPY_COLUMNS, row, strict=True)) for row in rows])


# A job that wrote at least this many records, or left this many unvacuumed
# (inserted since the last VACUUM, or dead after updates) on top of 5% of the
# table, vacuums the table before the import answers.
VACUUM_AFTER_ROWS = 10_000


def after_bulk_write(engine: Engine, written: int) -> None:
    """Bring PostgreSQL's view of learning_records up to date after an import.

    Reports read the table through index-only scans, which must visit the table
    for every row of a page not yet marked all-visible, and plans need statistics:
    over 2,000,000 records never vacuumed, the report's query took ten times as
    long. A VACUUM (ANALYZE) marks the new pages and refreshes the statistics;
    autovacuum does the same eventually, but it may be off or behind, and reports
    on an import should be fast as soon as it is done.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if written < VACUUM_AFTER_ROWS:
            stats = conn.execute(
                text(
                    "SELECT n_ins_since_vacuum + n_dead_tup, n_live_tup "
                    "FROM pg_stat_user_tables WHERE relid = 'learning_records'::regclass"
                )
            ).first()
            if stats is None or stats[0] < VACUUM_AFTER_ROWS + stats[1] // 20:
                return
        # SKIP_LOCKED: if autovacuum is already at it, it is being done.
        conn.execute(text("VACUUM (ANALYZE, SKIP_LOCKED) learning_records"))


def apply_reimports(
    session: Session, changes: Sequence[tuple[Existing, dict[str, Any]]], actor: str, reason: str
) -> set[tuple[str, int]]:
    """A changed row from the platform: the record takes the new values, the history
    keeps the old ones. Returns the (person, year) pairs the records left and
    joined, whose AI hours may have moved (`ai_hours.refresh`)."""
    touched: set[tuple[str, int]] = set()
    if not changes:
        return touched
    at = now_utc()
    before = states(session, [old.id for old, _new in changes])
    history = []
    for old, new in changes:
        session.execute(
            update(RECORDS)
            .where(RECORDS.c.id == old.id)
            .values(**new, version=old.version + 1, updated_at=at)
        )
        after = {
            "person_id": new["person_id"],
            "course_id": new["course_id"],
            "hours": str(new["hours"]),
            "completed_on": new["completed_on"].isoformat(),
            "completed_at": new["completed_at"].isoformat() if new["completed_at"] else None,
            "withdrawn": before[old.id]["withdrawn"],
        }
        was = before[old.id]
        touched.add((was["person_id"], date.fromisoformat(was["completed_on"]).year))
        touched.add((new["person_id"], new["year"]))
        history.append(
            {
                "record_id": old.id,
                "version": old.version + 1,
                "action": "reimported",
                "at": at,
                "actor": actor,
                "reason": reason,
                "before": before[old.id],
                "after": after,
            }
        )
    session.execute(insert(HISTORY), history)
    return touched


# --- reports ---------------------------------------------------------------------------


class SumColumn(NamedTuple):
    """Hours of the records whose topics include one of `topics` and none of
    `excluding` (both `TOPIC_BITS` masks; `topics` None: every record), completed
    up to `until` (None: up to the report's day)."""

    topics: int | None
    excluding: int
    until: date | None


def report_sums(
    session: Session,
    agencies: Sequence[str],
    year: int,
    as_of: date,
    columns: Sequence[SumColumn],
) -> Iterator[Sequence[Any]]:
    """One row per roster person of `agencies`: person id, agency, unit, then each
    column's hours in hundredths (0 without records), counting the records of
    `year` filed in `agencies`, not withdrawn and completed by `as_of`.

    Summed by (agency filed, person), in that order, over the index that starts
    (agency, year, person) and holds every column read here: the database walks each
    agency's range in order and hands on one row per person as it passes, with no
    hash table over every person (which, at a ministry's 100,000 persons, spilled to
    disk) and no visit to the table. Topics are tested with integer masks and hours
    added as integer hundredths. The few persons with records filed in two of the
    agencies (before and after a move) come back once per agency and are added up
    here; the roster is read on its own and joined here as well.
    """
    r = RECORDS.c
    sums: list[ColumnElement[Any]] = []
    for i, column in enumerate(columns):
        conditions: list[ColumnElement[bool]] = []
        if column.topics is not None:
            if not column.topics:
                sums.append(literal(0, Integer).label(f"s{i}"))
                continue
            conditions.append(r.topic_mask.op("&")(column.topics) != 0)
            if column.excluding:
                conditions.append(r.topic_mask.op("&")(column.excluding) == 0)
        if column.until is not None:
            conditions.append(r.completed_on <= column.until)
        hours: ColumnElement[Any] = func.sum(r.hours_centi)
        if conditions:
            hours = hours.filter(and_(*conditions))
        sums.append(func.coalesce(hours, 0).label(f"s{i}"))
    summed = (
        select(r.person_id, *sums)
        .where(
            r.agency_code.in_(agencies),
            r.year == year,
            r.withdrawn == false(),
            r.completed_on <= as_of,
        )
        .group_by(r.agency_code, r.person_id)
        .order_by(r.agency_code, r.person_id)
    )
    people = ROSTER.c
    placed = select(people.person_id, people.agency_code, people.unit_id).where(
        people.agency_code.in_(agencies)
    )
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # The plan is simple and runs once: compiling it to machine code costs more
        # than it saves.
        connection.execute(text("SET LOCAL jit = off"))
    # All at once: fetching a hundred thousand rows one by one costs a second.
    totals: dict[str, Sequence[Any]] = {}
    for row in connection.execute(summed).fetchall():
        person_id = row[0]
        known = totals.get(person_id)
        if known is None:
            totals[person_id] = row[1:]
        else:
            totals[person_id] = [int(a) + int(b) for a, b in zip(known, row[1:], strict=True)]
    zeros = (0,) * len(columns)
    for person_id, agency_code, unit_id in connection.execute(placed).fetchall():
        yield (person_id, agency_code, unit_id, *totals.get(person_id, zeros))


# --- one record ------------------------------------------------------------------------


def get(session: Session, record_id: int) -> tuple[LearningRecord, Course] | None:
    row = session.execute(
        select(LearningRecord, Course)
        .join(Course, col(Course.id) == col(LearningRecord.course_id))
        .where(col(LearningRecord.id) == record_id)
    ).first()
    return None if row is None else (row[0], row[1])


def list_page(
    session: Session,
    visible: ColumnElement[bool],
    params: PageParams,
    *,
    person_id: str | None,
    year: int | None,
    agency_code: str | None,
) -> tuple[list[tuple[LearningRecord, Course]], str | None]:
    stmt = (
        select(LearningRecord, Course)
        .join(Course, col(Course.id) == col(LearningRecord.course_id))
        .where(visible)
    )
    if person_id:
        stmt = stmt.where(col(LearningRecord.person_id) == person_id)
    if year:
        stmt = stmt.where(col(LearningRecord.year) == year)
    if agency_code:
        stmt = stmt.where(col(LearningRecord.agency_code) == agency_code)
    rows, cursor = paginate(session, stmt, col(LearningRecord.id), params)
    return [(r[0], r[1]) for r in rows], cursor


def for_person_year(
    session: Session, person_id: str, year: int
) -> list[tuple[LearningRecord, Course]]:
    rows = session.execute(
        select(LearningRecord, Course)
        .join(Course, col(Course.id) == col(LearningRecord.course_id))
        .where(col(LearningRecord.person_id) == person_id, col(LearningRecord.year) == year)
        .order_by(col(LearningRecord.completed_on), col(LearningRecord.id))
    ).all()
    return [(r[0], r[1]) for r in rows]


def latest_filing(session: Session, person_id: str) -> tuple[str, str] | None:
    """(agency, unit) of the person's latest record: where it was filed."""
    latest = session.execute(
        select(col(LearningRecord.agency_code), col(LearningRecord.unit_id))
        .where(col(LearningRecord.person_id) == person_id)
        .order_by(col(LearningRecord.completed_on).desc(), col(LearningRecord.id).desc())
        .limit(1)
    ).first()
    return None if latest is None else (latest[0], latest[1])


class EvaluationRow(NamedTuple):
    hours: Decimal
    completed_on: date
    completed_at: datetime | None
    withdrawn: bool
    topics: str
    category_code: str
    is_digital: bool


def evaluation_rows(session: Session, person_id: str, year: int) -> list[EvaluationRow]:
    """What a person's evaluation reads of each record of the year: plain columns,
    not the records and courses as objects, which cost more to build than to fetch."""
    r = RECORDS.c
    c = COURSES.c
    stmt = (
        select(
            r.hours,
            r.completed_on,
            r.completed_at,
            r.withdrawn,
            c.topics,
            c.category_code,
            c.is_digital,
        )
        .join_from(RECORDS, COURSES, c.id == r.course_id)
        .where(r.person_id == person_id, r.year == year)
    )
    return [EvaluationRow(*row) for row in session.execute(stmt)]


def history(session: Session, record_id: int) -> list[LearningRecordHistory]:
    return list(
        session.scalars(
            select(LearningRecordHistory)
            .where(col(LearningRecordHistory.record_id) == record_id)
            .order_by(col(LearningRecordHistory.version), col(LearningRecordHistory.id))
        )
    )


def change(
    session: Session,
    record: LearningRecord,
    *,
    action: str,
    actor: str,
    reason: str,
    hours: Decimal | None = None,
    completed_on: date | None = None,
    course_id: int | None = None,
    withdraw: bool = False,
) -> LearningRecord:
    """A correction or a withdrawal: the record changes, the history keeps both
    states, and the AI hours of the person's year (before and after) follow."""
    before = snapshot(record)
    was = (record.person_id, record.year)
    if hours is not None:
        record.hours = hours
    if completed_on is not None:
        record.completed_on = completed_on
        record.year = completed_on.year
        # The day was corrected by hand; a time of day from the platform no longer holds.
        record.completed_at = None
    if course_id is not None:
        course = session.get(Course, course_id)
        if course is None:
            raise ValueError(f"course_id: no course {course_id}")
        record.course_id = course_id
        record.topic_mask = topic_mask(decode_topics(course.topics))
    if withdraw:
        record.withdrawn = True
    record.version += 1
    record.updated_at = now_utc()
    session.add(record)
    session.add(
        LearningRecordHistory(
            record_id=record.id or 0,
            version=record.version,
            action=action,
            actor=actor,
            reason=reason,
            before=before,
            after=snapshot(record),
        )
    )
    session.flush()
    ai_hours.refresh(session, {was, (record.person_id, record.year)})
    return record
