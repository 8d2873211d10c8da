"""Importing engagement records (洽聘紀錄) from a source's export on the
kernel's import pipeline, after its lecturers.

A record is keyed by what it says: the lecturer (the source's lecturer
number), class name, course name, date and hosting agency; the key's digest is
its `external_id` under the source, so a re-import finds it again. A record
found again with other hours or another hosting-agency code is updated;
otherwise it is unchanged. Changing any part of the key makes it another record
(the old one stays until withdrawn with `DELETE /engagements/{id}`). Whether a
record is hidden is the lecturer's choice: an import never changes it.

Each new record re-indexes its lecturer (class and course names, the latest
engagement day) in the batch's transaction. Dry run, batches and resume as for
lecturers (`lecturer_import`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlmodel import Session

from services.common.importing.rows import RowError, present, validated
from services.common.importing.runner import BatchResult, ImportKind
from services.speakers.models import Engagement
from services.speakers.schemas import EngagementImportRow
from services.speakers.store import imports
from services.speakers.store.search_index import reindex

BATCH_SIZE = 1000
UNKNOWN_LECTURER = "no lecturer with this source_id from this source: import the lecturers first"


@dataclass(frozen=True, slots=True)
class EngagementRow:
    row: int
    data: EngagementImportRow
    key: str  # the digest of the record's natural key


def natural_key(data: EngagementImportRow) -> str:
    parts = (
        data.lecturer_source_id,
        data.class_name,
        data.course_name,
        data.held_on.isoformat(),
        data.hosting_agency,
    )
    # The unit separator cannot occur in a cell, so no two keys join alike.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def check(row: int, values: dict[str, str]) -> EngagementRow | list[RowError]:
    checked = validated(EngagementImportRow, row, present(values))
    if isinstance(checked, list):
        return checked
    return EngagementRow(row, checked, natural_key(checked))


class EngagementImport(ImportKind[EngagementRow]):
    """Engagement records of one source, each naming its lecturer by number."""

    required = ("lecturer_source_id", "class_name", "course_name", "held_on", "hosting_agency")
    known = tuple(EngagementImportRow.model_fields)
    write_lock = True

    def __init__(self, *, source: str, actor: str, dry_run: bool) -> None:
        self.source = source
        self.actor = actor
        self.dry_run = dry_run

    def check(self, row: int, values: dict[str, str]) -> EngagementRow | list[RowError]:
        return check(row, values)

    def apply_batch(self, session: Session, rows: list[EngagementRow]) -> BatchResult:
        result = BatchResult()
        with session.begin_nested() as outer:
            lecturers = imports.lecturer_ids_by_source(
                session, self.source, (r.data.lecturer_source_id for r in rows)
            )
            found = imports.engagements_by_source(session, self.source, (r.key for r in rows))
            first: dict[str, EngagementRow] = {}
            touched: set[int] = set()
            for parsed in rows:
                data = parsed.data
                lecturer_id = lecturers.get(data.lecturer_source_id)
                if lecturer_id is None:
                    result.errors.append(
                        RowError(
                            parsed.row, "lecturer_source_id", UNKNOWN_LECTURER, "unknown_lecturer"
                        )
                    )
                    continue
                seen = first.get(parsed.key)
                if seen is not None:
                    if (seen.data.hours, seen.data.agency_code) == (data.hours, data.agency_code):
                        result.unchanged += 1
                    else:
                        reason = f"repeats the record of row {seen.row} with other values"
                        result.errors.append(RowError(parsed.row, "line", reason, "duplicate"))
                    continue
                first[parsed.key] = parsed
                existing = found.get(parsed.key)
                if existing is None:
                    session.add(self._new(parsed, lecturer_id))
                    touched.add(lecturer_id)
                    result.inserted += 1
                elif (existing.hours, existing.agency_code) != (data.hours, data.agency_code):
                    existing.hours = data.hours
                    existing.agency_code = data.agency_code
                    session.add(existing)
                    result.updated += 1
                else:
                    result.unchanged += 1
            session.flush()
            for lecturer_id in sorted(touched):
                reindex(session, lecturer_id)
            if self.dry_run:
                outer.rollback()
        return result

    def _new(self, parsed: EngagementRow, lecturer_id: int) -> Engagement:
        data = parsed.data
        return Engagement(
            # The class reference and session an HTTP record carries: for an
            # imported record, its own key, so no two share one.
            class_ref=f"import:{self.source}:{parsed.key[:48]}",
            session_number=1,
            lecturer_id=lecturer_id,
            agency_code=data.agency_code,
            held_on=data.held_on,
            hours=data.hours,
            class_name=data.class_name,
            course_name=data.course_name,
            hosting_agency=data.hosting_agency,
            source=self.source,
            external_id=parsed.key,
            recorded_by=self.actor,
        )
