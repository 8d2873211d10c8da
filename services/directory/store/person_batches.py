"""Applying validated import rows to the persons table, one transaction per batch.

Idempotent by personnel id: a row equal to what is stored is counted as
unchanged and not written. State carried across batches (ids and national-ID
hashes already seen in this file) is a few strings per row, not the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from services.common.importing.rows import RowError
from services.common.importing.runner import BatchResult
from services.common.timeutil import now_utc, today_taipei
from services.directory.access import Reach
from services.directory.domain import national_id
from services.directory.domain.person_rows import PersonRow
from services.directory.domain.review_rules import GONE
from services.directory.models import Agency, Person
from services.directory.store.accounts import active_human_accounts_of, disable_holders_who_left
from services.directory.store.agencies import units_by_code

CONFLICTING = "conflicting concurrent change; import again"
# Columns compared to decide created / updated / unchanged.
COMPARED = (
    "name",
    "agency_code",
    "unit_id",
    "supervisor_id",
    "status",
    "status_changed_on",
    "national_id_hmac",
    "national_id_masked",
    "email",
    "phone",
)


@dataclass
class _Plan:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    failures: list[list[RowError]] = field(default_factory=list)
    seen_ids: dict[str, int] = field(default_factory=dict)
    seen_hashes: dict[str, tuple[str, int]] = field(default_factory=dict)
    accounts_disabled: int = 0

    def leavers(self) -> list[str]:
        """Persons this batch records as no longer in service."""
        return [u["id"] for u in self.updates if u.get("status") in GONE]


class PersonBatches:
    def __init__(self, *, reach: Reach, key: str, actor: str, dry_run: bool) -> None:
        self.reach = reach
        self.key = key
        self.source = f"import:{actor}"[:100]
        self.dry_run = dry_run
        self._seen_ids: dict[str, int] = {}
        self._seen_hashes: dict[str, tuple[str, int]] = {}
        self._agencies: dict[str, bool] = {}
        self._units: dict[str, dict[str, int]] = {}

    def apply(self, session: Session, rows: list[PersonRow]) -> tuple[BatchResult, int]:
        """The batch's counts and errors, and how many accounts it disabled: the
        batch written in the caller's transaction (opened for writing); a
        clash with a concurrent writer is retried once against fresh state, in a
        savepoint, then its rows are reported."""
        result = BatchResult()
        for attempt in (1, 2):
            try:
                with session.begin_nested():
                    plan = self._run(session, rows)
            except IntegrityError:
                if attempt == 2:
                    result.errors.extend(
                        RowError(
                            row.row,
                            "line",
                            "conflicting concurrent change; import again",
                            "conflict",
                        )
                        for row in rows
                    )
                continue
            self._seen_ids.update(plan.seen_ids)
            self._seen_hashes.update(plan.seen_hashes)
            result.inserted = len(plan.inserts)
            result.updated = len(plan.updates)
            result.unchanged = plan.unchanged
            for failure in plan.failures:
                result.errors.extend(failure)
            return result, plan.accounts_disabled
        return result, 0

    def _run(self, session: Session, rows: list[PersonRow]) -> _Plan:
        plan = self._plan(session, rows)
        if self.dry_run:
            plan.accounts_disabled = len(active_human_accounts_of(session, plan.leavers()))
            return plan
        if plan.inserts:
            session.execute(insert(Person), plan.inserts)
        for values in plan.updates:
            changes = {k: v for k, v in values.items() if k != "id"}
            session.execute(update(Person).where(col(Person.id) == values["id"]).values(**changes))
        # In the batch's transaction: the status and the accounts change together.
        plan.accounts_disabled = len(disable_holders_who_left(session, plan.leavers(), now_utc()))
        return plan

    def _plan(self, session: Session, rows: list[PersonRow]) -> _Plan:
        plan = _Plan()
        ids = sorted({r.data.id for r in rows})
        # FOR UPDATE (PostgreSQL; ignored by SQLite, whose writers are serialised)
        # so a concurrent import cannot change these rows between compare and write.
        existing = {
            p.id: p
            for p in session.execute(
                select(Person).where(col(Person.id).in_(ids)).with_for_update()
            ).scalars()
        }
        hashes = {
            national_id.keyed_hash(r.data.national_id, self.key): r
            for r in rows
            if r.data.national_id is not None
        }
        owners: dict[str | None, str] = (
            {
                digest: pid
                for digest, pid in session.execute(
                    select(col(Person.national_id_hmac), col(Person.id)).where(
                        col(Person.national_id_hmac).in_(sorted(hashes))
                    )
                )
            }
            if hashes
            else {}
        )
        supervisors = {r.data.supervisor_id for r in rows if r.data.supervisor_id}
        known_supervisors = (
            set(
                session.execute(
                    select(col(Person.id)).where(col(Person.id).in_(sorted(supervisors)))
                ).scalars()
            )
            if supervisors
            else set()
        )
        for row in rows:
            errors, values = self._row(
                session, row, existing.get(row.data.id), owners, known_supervisors, plan
            )
            if errors:
                plan.failures.append(errors)
                continue
            current = existing.get(row.data.id)
            if current is None:
                plan.inserts.append(values)
            else:
                changes = {
                    k: v for k, v in values.items() if k in COMPARED and getattr(current, k) != v
                }
                if not changes:
                    plan.unchanged += 1
                else:
                    plan.updates.append(
                        {
                            "id": current.id,
                            **changes,
                            "source": self.source,
                            "updated_at": now_utc(),
                        }
                    )
            plan.seen_ids[row.data.id] = row.row
            if values.get("national_id_hmac"):
                plan.seen_hashes[values["national_id_hmac"]] = (row.data.id, row.row)
        return plan

    def _row(
        self,
        session: Session,
        row: PersonRow,
        current: Person | None,
        owners: dict[str | None, str],
        known_supervisors: set[str],
        plan: _Plan,
    ) -> tuple[list[RowError], dict[str, Any]]:
        data, n = row.data, row.row
        errors: list[RowError] = []
        earlier = plan.seen_ids.get(data.id) or self._seen_ids.get(data.id)
        if earlier is not None:
            return [RowError(n, "id", f"duplicate of row {earlier}", "duplicate")], {}
        if not self._agency_exists(session, data.agency_code):
            errors.append(RowError(n, "agency_code", "unknown agency", "unknown_agency"))
        elif not self.reach.covers(agency_code=data.agency_code):
            errors.append(RowError(n, "agency_code", "outside your agency scope", "outside_scope"))
        if current is not None and not self.reach.covers(agency_code=current.agency_code):
            errors.append(
                RowError(n, "id", "belongs to an agency outside your scope", "outside_scope")
            )
        values: dict[str, Any] = {"id": data.id, "name": data.name, "agency_code": data.agency_code}
        if "unit_code" in row.present:
            values["unit_id"] = None
            if data.unit_code is not None and not errors:
                unit_id = self._unit_id(session, data.agency_code, data.unit_code)
                if unit_id is None:
                    errors.append(
                        RowError(n, "unit_code", "no such unit in this agency", "unknown_unit")
                    )
                values["unit_id"] = unit_id
        elif current is not None and current.agency_code != data.agency_code:
            values["unit_id"] = None  # the old unit belongs to the old agency
        if "national_id" in row.present:
            values["national_id_hmac"] = values["national_id_masked"] = None
            if data.national_id is not None:
                digest, masked = national_id.protected_forms(data.national_id, self.key)
                holder = plan.seen_hashes.get(digest) or self._seen_hashes.get(digest)
                if holder is not None and holder[0] != data.id:
                    errors.append(
                        RowError(n, "national_id", f"same as row {holder[1]}", "duplicate")
                    )
                elif owners.get(digest, data.id) != data.id:
                    errors.append(
                        RowError(n, "national_id", "registered to another person", "taken")
                    )
                values["national_id_hmac"], values["national_id_masked"] = digest, masked
        if "supervisor_id" in row.present:
            boss = data.supervisor_id
            if boss == data.id:
                errors.append(
                    RowError(n, "supervisor_id", "a person cannot supervise themself", "self")
                )
            elif (
                boss is not None
                and boss not in known_supervisors
                and not (boss in plan.seen_ids or boss in self._seen_ids)
            ):
                errors.append(
                    RowError(
                        n,
                        "supervisor_id",
                        "unknown person (list supervisors before their staff)",
                        "unknown_person",
                    )
                )
            values["supervisor_id"] = boss
        for name in ("email", "phone"):
            if name in row.present:
                values[name] = getattr(data, name)
        if "status_changed_on" in row.present:
            values["status_changed_on"] = data.status_changed_on
        if "status" in row.present and data.status is not None:
            values["status"] = data.status
            changed = current is None or current.status != data.status
            if changed and current is not None and "status_changed_on" not in row.present:
                values["status_changed_on"] = today_taipei()
        if current is None:
            values.setdefault("status", "active")
            values["source"] = self.source
            values["updated_at"] = now_utc()
        return errors, values

    def _agency_exists(self, session: Session, code: str) -> bool:
        if code not in self._agencies:
            self._agencies[code] = session.get(Agency, code) is not None
        return self._agencies[code]

    def _unit_id(self, session: Session, agency_code: str, unit_code: str) -> int | None:
        if agency_code not in self._units:
            self._units[agency_code] = units_by_code(session, agency_code)
        return self._units[agency_code].get(unit_code)
