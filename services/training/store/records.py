"""Learning records and their append-only history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, and_, cast, func, insert, select, update
from sqlmodel import Session, col

from services.common.pagination import PageParams, encode_cursor
from services.common.timeutil import now_utc
from services.training.models import Course, LearningRecord, LearningRecordHistory

_CHUNK = 400
RECORDS = LearningRecord.__table__  # type: ignore[attr-defined]
HISTORY = LearningRecordHistory.__table__  # type: ignore[attr-defined]
COPY_COLUMNS = (
    "source",
    "external_id",
    "person_id",
    "agency_code",
    "unit_id",
    "course_id",
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


@dataclass(frozen=True, slots=True)
class Existing:
    id: int
    digest: str
    version: int
    state: dict[str, Any]


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
    wanted = sorted(set(external_ids))
    found: dict[str, Existing] = {}
    cols = RECORDS.c
    picked = (
        cols.id,
        cols.external_id,
        cols.digest,
        cols.version,
        cols.person_id,
        cols.course_id,
        cols.hours,
        cols.completed_on,
        cols.completed_at,
        cols.withdrawn,
    )
    if session.connection().dialect.name == "postgresql":
        # One probe per batch: a join on unnest(array) walks the unique index, where
        # a long IN list against a table without fresh statistics is a sequential
        # scan comparing every row with every id.
        keys = (
            func.unnest(cast(wanted, ARRAY(String))).table_valued("ext").render_derived(name="keys")
        )
        stmt = (
            select(*picked)
            .select_from(keys)
            .join(RECORDS, and_(cols.source == source, cols.external_id == keys.c.ext))
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
        for row in session.execute(stmt):
            found[row.external_id] = Existing(row.id, row.digest, row.version, snapshot(row))
    return found


def insert_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY is several times faster than multi-row INSERT for the bulk of an import.
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            names = ", ".join(COPY_COLUMNS)
            with cursor.copy(f"COPY learning_records ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(tuple(row[name] for name in COPY_COLUMNS))
        return
    session.execute(insert(RECORDS), list(rows))


def apply_reimports(
    session: Session, changes: Sequence[tuple[Existing, dict[str, Any]]], actor: str, reason: str
) -> None:
    """A changed row from the platform: the record takes the new values, the history
    keeps the old ones."""
    if not changes:
        return
    at = now_utc()
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
            "withdrawn": old.state["withdrawn"],
        }
        history.append(
            {
                "record_id": old.id,
                "version": old.version + 1,
                "action": "reimported",
                "at": at,
                "actor": actor,
                "reason": reason,
                "before": old.state,
                "after": after,
            }
        )
    session.execute(insert(HISTORY), history)


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
    after = params.after(int)
    if after is not None:
        stmt = stmt.where(col(LearningRecord.id) > after)
    rows = session.execute(stmt.order_by(col(LearningRecord.id)).limit(params.limit + 1)).all()
    items = [(r[0], r[1]) for r in rows[: params.limit]]
    cursor = encode_cursor([items[-1][0].id]) if len(rows) > params.limit else None
    return items, cursor


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
    """A correction or a withdrawal: the record changes, the history keeps both states."""
    before = snapshot(record)
    if hours is not None:
        record.hours = hours
    if completed_on is not None:
        record.completed_on = completed_on
        record.year = completed_on.year
        # The day was corrected by hand; a time of day from the platform no longer holds.
        record.completed_at = None
    if course_id is not None:
        record.course_id = course_id
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
    return record
