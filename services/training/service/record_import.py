"""Apply one batch of checked rows: match persons and courses, then insert new
records, update changed ones (with history) and leave identical ones alone.

Rows that name their person by national ID are matched first, with one call to
the directory for the whole batch (`POST /persons/match`): only the directory
holds the key of the national-ID hash. A number the directory finds invalid, or
finds no one for (within the importer's agency scope), fails its row; a row that
gives both a person_id and a national ID must name the same person in both. The
national ID is dropped from the row once matched: nothing here stores it.

Every row stays within the importer's agency scope (`access.import_scope`), in
every batch of every job, however the person was found: the person it names must
be placed by the roster in one of the importer's agencies, and a stored record it
would change must be filed under one of them and name a person placed in one
(or no longer on the roster). Outside that, the row fails and nothing of the
record is read or changed; the reasons do not say whether the person or record
exists elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.common.importing.rows import RowError
from services.common.importing.runner import BatchResult, ImportKind
from services.common.timeutil import now_utc
from services.training.clients import DirectoryClient, NationalIdMatch
from services.training.domain.ai_hours import AI_BITS
from services.training.domain.record_rows import REQUIRED, ParsedRow, check, digest
from services.training.domain.topics import topic_mask
from services.training.store import ai_hours, catalogue, records, roster

# Rows per transaction: each batch is committed together with the job's progress.
# Larger batches spread each batch's lookups and commit over more rows; two are
# in memory at a time (one parsed, one being written), some 60 MB at this size.
BATCH_SIZE = 20_000


class KnownCourse(NamedTuple):
    id: int  # 0 for a course a dry run would create
    topic_mask: int  # copied into each record (see `LearningRecord.topic_mask`)


@dataclass
class JobContext:
    """What stays the same across a job's batches."""

    job_id: int
    source: str
    actor: str
    # The agencies the importer writes for (`access.import_scope`).
    scope: frozenset[str]
    dry_run: bool
    # The catalogue's category codes; read with the first batch when not given.
    categories: set[str] | None
    directory: Callable[[], DirectoryClient] | None
    # For the maintenance after the job; the first batch's when not given.
    engine: Engine | None = None
    # (source, platform course id) -> the course row.
    courses: dict[tuple[str, str], KnownCourse] = field(default_factory=dict)
    # Person id -> placement, as read in earlier batches: a file names each person
    # many times over, and reading the roster again for each batch cost a tenth of
    # a large import. A transfer recorded while the job runs reaches the records
    # of the next job.
    placements: dict[str, roster.Placement] = field(default_factory=dict)
    _directory: DirectoryClient | None = None

    def _client(self) -> DirectoryClient | None:
        if self.directory is None:
            return None
        if self._directory is None:
            self._directory = self.directory()
        return self._directory

    def known_categories(self, session: Session) -> set[str]:
        if self.categories is None:
            self.categories = catalogue.category_codes(session)
        if self.engine is None:
            # A job built from its row alone (any worker's) learns its database here.
            self.engine = session.get_bind().engine
        return self.categories

    def lookup_person(self, person_id: str) -> roster.Placement | None:
        """Ask the directory about a person the roster has not seen; None when unknown."""
        client = self._client()
        if client is None:
            return None
        found = client.person(person_id)
        if found is None:
            return None
        unit = "" if found.unit_id is None else str(found.unit_id)
        return roster.Placement(found.agency_code, unit)

    def match_national_ids(self, numbers: Sequence[str]) -> list[NationalIdMatch]:
        """Which person holds each number: one directory call for them all."""
        client = self._client()
        if client is None:
            return [NationalIdMatch(index=i, status="not_found") for i in range(len(numbers))]
        return client.match_national_ids(numbers, f"training import {self.source} #{self.job_id}")


NATIONAL_ID_UNKNOWN = "no person with this national ID"
# One reason for a person no one knows and for another agency's: an importer learns
# nothing of who works elsewhere.
PERSON_OUTSIDE = "unknown person, or outside your agency scope"
RECORD_OUTSIDE = "already used by a record outside your agency scope"


def _match_national_ids(
    ctx: JobContext, rows: Sequence[ParsedRow], result: BatchResult
) -> tuple[list[ParsedRow], set[int]]:
    """The rows with their persons matched by national ID (a failed match reported),
    after one directory call for the batch's distinct numbers, if it has any; and
    the rows that named their person by number alone, whose person errors are the
    number's."""
    numbers = sorted({r.national_id.value for r in rows if r.national_id is not None})
    if not numbers:
        return list(rows), set()
    matches = dict(zip(numbers, ctx.match_national_ids(numbers), strict=True))
    kept: list[ParsedRow] = []
    by_number: set[int] = set()
    for row in rows:
        if row.national_id is None:
            kept.append(row)
            continue
        number = row.national_id.value
        match = matches[number]
        if match.status == "invalid":
            reason = (match.reason or "")[:200]
            if not reason or number.upper() in reason.upper():
                # Never echo the number, whatever the directory says.
                reason = "not a valid national ID"
            result.errors.append(RowError(row.row, "national_id", reason, "invalid_national_id"))
        elif match.status != "found" or match.person_id is None:
            result.errors.append(
                RowError(row.row, "national_id", NATIONAL_ID_UNKNOWN, "unknown_national_id")
            )
        elif row.person_id and row.person_id != match.person_id:
            result.errors.append(
                RowError(
                    row.row,
                    "national_id",
                    "belongs to another person than person_id",
                    "person_mismatch",
                )
            )
        else:
            person_id = match.person_id
            if not row.person_id:
                by_number.add(row.row)
            kept.append(
                row._replace(
                    person_id=person_id,
                    digest=digest(
                        person_id,
                        row.course_external_id,
                        row.hours,
                        row.completed_on,
                        row.completed_at,
                    ),
                    national_id=None,
                )
            )
    return kept, by_number


def _dedupe(rows: Sequence[ParsedRow], result: BatchResult) -> list[ParsedRow]:
    first: dict[str, ParsedRow] = {}
    kept = []
    for row in rows:
        seen = first.get(row.external_id)
        if seen is None:
            first[row.external_id] = row
            kept.append(row)
        elif seen.digest == row.digest:
            result.unchanged += 1
        else:
            result.errors.append(
                RowError(
                    row.row,
                    "external_id",
                    f"repeats row {seen.row} with different content",
                    "duplicate",
                )
            )
    return kept


# Placements kept per job at most (a few tens of MB); past it the cache starts over.
MAX_CACHED_PLACEMENTS = 200_000


def _persons(
    session: Session, ctx: JobContext, rows: list[ParsedRow]
) -> dict[str, roster.Placement]:
    """The placement of each person of `rows` whom the roster or the directory
    knows, in a mapping that may hold other persons too."""
    known = ctx.placements
    wanted = {r.person_id for r in rows}
    missing = wanted - known.keys()
    if not missing:
        return known
    if len(known) + len(missing) > MAX_CACHED_PLACEMENTS:
        known.clear()
        missing = wanted
    found = roster.get_many(session, missing)
    for person_id in sorted(missing - found.keys()):
        placement = ctx.lookup_person(person_id)
        if placement is not None:
            # Cached even in a dry run: it is the directory's fact, not the import's.
            roster.put(session, person_id, placement)
            found[person_id] = placement
    known.update(found)
    return known


def _person_error(row: int, by_number: set[int]) -> RowError:
    if row in by_number:
        # The directory matched the number within the importer's scope, yet the
        # roster places the person elsewhere: to the importer, no one in scope holds it.
        return RowError(row, "national_id", NATIONAL_ID_UNKNOWN, "unknown_national_id")
    return RowError(row, "person_id", PERSON_OUTSIDE, "unknown_person")


def _holders(
    session: Session, found: dict[str, records.Existing], placements: dict[str, roster.Placement]
) -> dict[str, roster.Placement]:
    """`placements` with, as the roster has them, the persons whom the stored
    records of `found` name: those a row would take a record from. The roster only:
    a person it no longer lists is not looked for in the directory."""
    missing = {old.person_id for old in found.values()} - placements.keys()
    if missing:
        placements.update(roster.get_many(session, missing))
    return placements


def _courses(session: Session, ctx: JobContext, rows: list[ParsedRow]) -> None:
    missing = {(ctx.source, r.course_external_id) for r in rows} - ctx.courses.keys()
    if not missing:
        return
    for key, course in catalogue.courses_by_key(session, missing).items():
        assert course.id is not None
        ctx.courses[key] = KnownCourse(
            course.id, topic_mask(catalogue.decode_topics(course.topics))
        )
    for row in rows:
        key = (ctx.source, row.course_external_id)
        if (
            key in ctx.courses
            or not row.course_title
            or row.category not in ctx.known_categories(session)
        ):
            continue
        if ctx.dry_run:
            ctx.courses[key] = KnownCourse(0, topic_mask(row.topics))
            continue
        course = catalogue.add_course(
            session,
            source=ctx.source,
            external_id=row.course_external_id,
            title=row.course_title,
            category_code=row.category,
            topics=row.topics,
            hours=None,
            is_digital=row.is_digital,
        )
        assert course.id is not None
        ctx.courses[key] = KnownCourse(course.id, topic_mask(row.topics))


def apply_batch(
    session: Session, ctx: JobContext, rows: Sequence[ParsedRow], by_number: set[int]
) -> BatchResult:
    """Write a batch whose national IDs are matched already (`by_number`: the rows
    that named their person by number alone)."""
    result = BatchResult()
    kept = _dedupe(rows, result)
    placements = _persons(session, ctx, kept)
    _courses(session, ctx, kept)
    scope = ctx.scope
    good: list[ParsedRow] = []
    for row in kept:
        bad = False
        # Every row, not only a person's first: the roster keeps persons whom other
        # agencies' importers brought in.
        placed = placements.get(row.person_id)
        if placed is None or placed.agency_code not in scope:
            result.errors.append(_person_error(row.row, by_number))
            bad = True
        if row.category and row.category not in ctx.known_categories(session):
            result.errors.append(
                RowError(row.row, "category", "unknown category", "unknown_category")
            )
            bad = True
        elif (ctx.source, row.course_external_id) not in ctx.courses:
            result.errors.append(
                RowError(
                    row.row,
                    "course_id",
                    "unknown course: send course_title and category to add it",
                    "unknown_course",
                )
            )
            bad = True
        if not bad:
            good.append(row)

    found = records.existing(session, ctx.source, (r.external_id for r in good))
    placements = _holders(session, found, placements)
    now = now_utc()
    source = ctx.source
    new_rows: list[tuple[Any, ...]] = []
    changes: list[tuple[records.Existing, dict[str, Any]]] = []
    for row in good:
        old = found.get(row.external_id)
        if old is not None:
            # The record is another agency's when it is filed under one, or names a
            # person placed in one (who transferred): an importer neither moves it
            # into its own agencies nor takes it from that person. Checked before
            # the digest, so that not even "unchanged" is said of it.
            holder = placements.get(old.person_id)
            if old.agency_code not in scope or (
                holder is not None and holder.agency_code not in scope
            ):
                result.errors.append(
                    RowError(row.row, "external_id", RECORD_OUTSIDE, "record_outside_scope")
                )
                continue
            if old.digest == row.digest:
                # Most rows of a re-import: nothing more to build.
                result.unchanged += 1
                continue
        place = placements[row.person_id]
        course = ctx.courses[(source, row.course_external_id)]
        if old is None:
            # In `records.COPY_COLUMNS` order: a tuple per row, not a dict, for the
            # million rows of a large import.
            new_rows.append(
                (
                    source,
                    row.external_id,
                    row.person_id,
                    place.agency_code,
                    place.unit_id,
                    course.id,
                    course.topic_mask,
                    row.hours,
                    row.completed_on,
                    row.completed_at,
                    row.completed_on.year,
                    False,
                    row.digest,
                    1,
                    now,
                    now,
                )
            )
        else:
            values = {
                "person_id": row.person_id,
                "agency_code": place.agency_code,
                "unit_id": place.unit_id,
                "course_id": course.id,
                "topic_mask": course.topic_mask,
                "hours": row.hours,
                "completed_on": row.completed_on,
                "completed_at": row.completed_at,
                "year": row.completed_on.year,
                "digest": row.digest,
            }
            changes.append((old, values))
    result.inserted = len(new_rows)
    result.updated = len(changes)
    if not ctx.dry_run:
        records.insert_many(session, new_rows)
        touched = records.apply_reimports(session, changes, ctx.actor, f"import #{ctx.job_id}")
        # Last, as it takes the AI-hours feed's lock until the batch commits.
        touched.update((r[2], r[10]) for r in new_rows if r[6] & AI_BITS)
        ai_hours.refresh(session, touched)
    return result


class RecordImport(ImportKind[ParsedRow]):
    """Learning records from an e-learning platform's export."""

    required = REQUIRED
    known = None  # other columns of a platform's export are ignored

    def __init__(self, ctx: JobContext, today: date) -> None:
        self.ctx = ctx
        self.today = today
        self._by_number: set[int] = set()

    def check(self, row: int, values: dict[str, str]) -> ParsedRow | list[RowError]:
        return check(row, values, self.today)

    def prepare(self, rows: list[ParsedRow]) -> tuple[list[ParsedRow], list[RowError]]:
        # Before the batch's transaction: a directory that cannot be reached fails
        # the batch with nothing of it written, and no lock waits on it.
        result = BatchResult()
        matched, self._by_number = _match_national_ids(self.ctx, rows, result)
        return matched, result.errors

    def apply_batch(self, session: Session, rows: list[ParsedRow]) -> BatchResult:
        return apply_batch(session, self.ctx, rows, self._by_number)

    def after(self, written: int) -> None:
        if not self.ctx.dry_run and self.ctx.engine is not None:
            records.after_bulk_write(self.ctx.engine, written)

    def close(self) -> None:
        # A job run by a worker outlives its request's peers: its own client goes.
        if self.ctx._directory is not None:
            self.ctx._directory.close()
