"""Importing lecturers from a source's export (the academy's lecturer database
first) on the kernel's import pipeline: idempotent by (source, the source's
lecturer number `source_id`), in batches, resumable, with a dry run.

A row is the lecturer's record as the source keeps it: a new number adds a
lecturer, a known one is updated where a value differs (and counted unchanged
where none does), and every change re-indexes the lecturer for search in the
batch's transaction. An empty or absent cell is the field's empty value, except
`person_id`, which an import sets but never clears: the link to the lecturer's
own account may have been made here by hand. Consent is the lecturer's alone:
an import never sets it, and a new lecturer starts at the most private choices.

A dry run writes each batch in a savepoint that it rolls back: counted and
checked as if written, nothing kept. A lecturer number given twice in one job
is refused the second time (across a resume, a batch committed before is just
found again)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from services.common.importing.rows import RowError, present, validated
from services.common.importing.runner import BatchResult, ImportKind
from services.common.timeutil import now_utc
from services.speakers.models import Lecturer, LecturerCategory
from services.speakers.schemas import LecturerImportRow
from services.speakers.store import categories, imports
from services.speakers.store.search_index import reindex

BATCH_SIZE = 500
# The fields a row sets as given, compared to tell an update from no change.
PLAIN_FIELDS = (
    "name",
    "organisation",
    "agency_code",
    "title",
    "expertise",
    "biography",
    "email",
    "phone",
    "active",
)


@dataclass(frozen=True, slots=True)
class LecturerRow:
    row: int
    data: LecturerImportRow


def check(row: int, values: dict[str, str]) -> LecturerRow | list[RowError]:
    checked = validated(LecturerImportRow, row, present(values))
    return checked if isinstance(checked, list) else LecturerRow(row, checked)


def _category_ids(session: Session, rows: list[LecturerRow]) -> dict[str, int]:
    codes = sorted({code for r in rows for code in r.data.category_codes})
    return {code: c.id for code, c in categories.by_codes(session, codes).items() if c.id}


def _filed(session: Session, lecturer_ids: list[int]) -> dict[int, set[int]]:
    found = categories.of_lecturers(session, lecturer_ids)
    return {i: {c.id for c in cats if c.id is not None} for i, cats in found.items()}


class LecturerImport(ImportKind[LecturerRow]):
    """Lecturers of one source, keyed by its lecturer numbers."""

    required = ("source_id", "name")
    known = tuple(LecturerImportRow.model_fields)
    # A batch reads the lecturers it then writes: BEGIN IMMEDIATE on SQLite.
    write_lock = True

    def __init__(self, *, source: str, actor: str, dry_run: bool) -> None:
        self.source = source
        self.actor = actor
        self.dry_run = dry_run
        self.seen: dict[str, int] = {}

    def check(self, row: int, values: dict[str, str]) -> LecturerRow | list[RowError]:
        return check(row, values)

    def _errors(
        self,
        parsed: LecturerRow,
        category_ids: dict[str, int],
        linked: dict[str, int],
        existing: Lecturer | None,
    ) -> list[RowError]:
        row, data = parsed.row, parsed.data
        errors: list[RowError] = []
        first = self.seen.get(data.source_id)
        if first is not None:
            reason = f"repeats the lecturer of row {first}"
            errors.append(RowError(row, "source_id", reason, "duplicate"))
        for i, code in enumerate(data.category_codes):
            if code not in category_ids:
                where = f"category_codes.{i}"
                errors.append(RowError(row, where, "no such course category", "unknown_category"))
        if data.person_id is not None:
            holder = linked.get(data.person_id)
            if holder is not None and (existing is None or holder != existing.id):
                reason = "already linked to another lecturer"
                errors.append(RowError(row, "person_id", reason, "taken"))
        return errors

    def apply_batch(self, session: Session, rows: list[LecturerRow]) -> BatchResult:
        result = BatchResult()
        with session.begin_nested() as outer:
            category_ids = _category_ids(session, rows)
            found = imports.lecturers_by_source(
                session, self.source, (r.data.source_id for r in rows)
            )
            linked = imports.persons_linked(
                session, (r.data.person_id for r in rows if r.data.person_id)
            )
            filed = _filed(session, [x.id for x in found.values() if x.id is not None])
            changed: list[int] = []
            for parsed in rows:
                data = parsed.data
                existing = found.get(data.source_id)
                errors = self._errors(parsed, category_ids, linked, existing)
                if errors:
                    result.errors.extend(errors)
                    continue
                self.seen[data.source_id] = parsed.row
                wanted = {category_ids[code] for code in data.category_codes}
                lecturer, outcome = self._write(session, data, existing, filed, wanted)
                assert lecturer.id is not None
                if data.person_id is not None:
                    linked[data.person_id] = lecturer.id
                if outcome == "created":
                    result.inserted += 1
                elif outcome == "updated":
                    result.updated += 1
                else:
                    result.unchanged += 1
                    continue
                changed.append(lecturer.id)
            session.flush()
            for lecturer_id in changed:
                reindex(session, lecturer_id)
            if self.dry_run:
                outer.rollback()
        return result

    def _write(
        self,
        session: Session,
        data: LecturerImportRow,
        existing: Lecturer | None,
        filed: dict[int, set[int]],
        wanted: set[int],
    ) -> tuple[Lecturer, str]:
        values: dict[str, Any] = {name: getattr(data, name) for name in PLAIN_FIELDS}
        if existing is None:
            lecturer = Lecturer(
                **values,
                person_id=data.person_id,
                source=self.source,
                external_id=data.source_id,
                created_by=self.actor,
            )
            session.add(lecturer)
            session.flush()
            assert lecturer.id is not None
            session.add_all(
                LecturerCategory(lecturer_id=lecturer.id, category_id=c) for c in sorted(wanted)
            )
            return lecturer, "created"
        assert existing.id is not None
        if data.person_id is not None:
            values["person_id"] = data.person_id
        differs = {k: v for k, v in values.items() if getattr(existing, k) != v}
        recategorised = filed.get(existing.id, set()) != wanted
        if not differs and not recategorised:
            return existing, "unchanged"
        for name, value in differs.items():
            setattr(existing, name, value)
        existing.updated_at = now_utc()
        session.add(existing)
        if recategorised:
            categories.replace(session, existing.id, sorted(wanted))
        return existing, "updated"
