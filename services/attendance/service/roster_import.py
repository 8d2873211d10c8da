"""Importing the roster on the kernel's import pipeline: person facts from the
directory, idempotent by person id. A person who moves between agencies is
transferred, comp time and all.

Batches, resume and dry run as the record imports (`record_import`). A person
named twice in one file is refused the second time: the ids seen are kept by
the job's import across its batches, but not across a resume (a person of a
batch committed before the interruption is then simply updated again).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from services.attendance.schemas import RosterRow
from services.attendance.service import comptime
from services.attendance.service.record_import import Checked, check_row
from services.attendance.store import roster
from services.common.importing.rows import RowError
from services.common.importing.runner import BatchResult, ImportKind
from services.common.timeutil import today_taipei

BATCH_SIZE = 500
SOURCE = "roster"


class RosterImport(ImportKind[Checked[RosterRow]]):
    write_lock = True

    def __init__(self, *, scope: Sequence[str], actor: str, dry_run: bool) -> None:
        self.scope = frozenset(scope)
        self.source = f"import:{actor}"[:100]
        self.dry_run = dry_run
        self.seen: set[str] = set()

    def check(self, row: int, values: dict[str, str]) -> Checked[RosterRow] | list[RowError]:
        return check_row(RosterRow, row, values)

    def apply_batch(self, session: Session, rows: list[Checked[RosterRow]]) -> BatchResult:
        result = BatchResult()
        with session.begin_nested() as outer:
            for parsed in rows:
                row = parsed.data
                if row.person_id in self.seen:
                    result.errors.append(
                        RowError(parsed.row, "person_id", "appears twice in this file", "duplicate")
                    )
                    continue
                self.seen.add(row.person_id)
                existing = roster.get(session, row.person_id)
                # An importer of one agency never writes into, or takes staff from, another.
                if row.agency_code not in self.scope or (
                    existing is not None and existing.agency_code not in self.scope
                ):
                    result.errors.append(
                        RowError(
                            parsed.row,
                            "agency_code",
                            "agency outside the importer's scope",
                            "not_in_scope",
                        )
                    )
                    continue
                if existing is not None and existing.agency_code != row.agency_code:
                    # A move between agencies is a transfer: the comp time goes along.
                    comptime.transfer(session, existing, row.agency_code, today_taipei())
                outcome = roster.upsert(session, existing, row, self.source)
                if outcome == "created":
                    result.inserted += 1
                elif outcome == "updated":
                    result.updated += 1
                else:
                    result.unchanged += 1
            session.flush()
            if self.dry_run:
                outer.rollback()
        return result
