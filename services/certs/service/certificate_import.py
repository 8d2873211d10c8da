"""Importing certificates in bulk, on the kernel's import pipeline
(`services.common.importing`): per-row errors, batches, resume, dry run.

A row names its holder, the holder's agency (which must be in the importing
account's scope), the catalogue entry by code and the certificate's number and
day. It is registered as submitted against the entry's current version, for an
HR officer of the agency to verify like any other: an importer never verifies.
Idempotent by issuer and number: a row whose certificate is registered already
for the same holder and day is unchanged; for anyone else it is an error.
A dry run writes each batch in a savepoint it rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sqlmodel import Session

from services.certs.domain import registration
from services.certs.schemas import CertificateImportRow
from services.certs.service.certificates import register, version_facts
from services.certs.store import catalogue as catalogue_store
from services.certs.store import certificates as store
from services.common.errors import Problem
from services.common.importing.rows import RowError, present, validated
from services.common.importing.runner import BatchResult, ImportKind
from services.common.timeutil import parse_any_date, today_taipei

SOURCE = "certificates"
BATCH_SIZE = 500
REQUIRED = tuple(CertificateImportRow.model_fields)


class Checked(BaseModel):
    row: int
    data: CertificateImportRow


class CertificateImport(ImportKind[Checked]):
    write_lock = True
    required = REQUIRED
    known = REQUIRED

    def __init__(self, *, scope: Sequence[str], actor: str, dry_run: bool) -> None:
        self.scope = frozenset(scope)
        self.actor = actor
        self.dry_run = dry_run

    def check(self, row: int, values: dict[str, str]) -> Checked | list[RowError]:
        cells = present(values)
        day = cells.get("obtained_on")
        if day is not None:
            # Personnel offices write ROC dates (115/03/01); ISO passes as it is.
            try:
                cells["obtained_on"] = parse_any_date(day).isoformat()
            except ValueError:
                return [
                    RowError(
                        row, "obtained_on", "not an ISO or ROC date", "date_from_datetime_parsing"
                    )
                ]
        checked = validated(CertificateImportRow, row, cells)
        return checked if isinstance(checked, list) else Checked(row=row, data=checked)

    def _one(self, session: Session, parsed: Checked, today: object) -> str | list[RowError]:
        row, data = parsed.row, parsed.data
        if data.agency_code not in self.scope:
            return [
                RowError(row, "agency_code", "agency outside the importer's scope", "not_in_scope")
            ]
        found = catalogue_store.current_by_codes(session, [data.catalogue_code]).get(
            data.catalogue_code
        )
        if found is None:
            return [RowError(row, "catalogue_code", "no such catalogue entry", "unknown")]
        _entry, version = found
        existing = store.live_by_number(session, version.issuer, data.certificate_number)
        if existing is not None:
            if existing.person_id == data.person_id and existing.obtained_on == data.obtained_on:
                return "unchanged"
            return [
                RowError(
                    row,
                    "certificate_number",
                    "registered already for this issuer, to another holder or day",
                    "taken",
                )
            ]
        refused = registration.refusals(
            version_facts(session, version), data.obtained_on, today_taipei()
        )
        if refused:
            return [
                RowError(row, "catalogue_code" if f == "catalogue_version_id" else f, r, c)
                for f, c, r in refused
            ]
        try:
            register(
                session,
                person_id=data.person_id,
                agency_code=data.agency_code,
                version=version,
                number=data.certificate_number,
                obtained_on=data.obtained_on,
                actor=self.actor,
                source="imported",
            )
        except Problem as exc:
            code = exc.errors[0].code if exc.errors else exc.slug
            return [RowError(row, "certificate_number", exc.detail or exc.title, code[:32])]
        return "inserted"

    def apply_batch(self, session: Session, rows: list[Checked]) -> BatchResult:
        result = BatchResult()
        today = today_taipei()
        inserted = unchanged = 0
        with session.begin_nested() as outer:
            for parsed in rows:
                outcome = self._one(session, parsed, today)
                if isinstance(outcome, list):
                    result.errors.extend(outcome)
                elif outcome == "inserted":
                    inserted += 1
                else:
                    unchanged += 1
            session.flush()
            if self.dry_run:
                outer.rollback()
        return BatchResult(inserted=inserted, unchanged=unchanged, errors=result.errors)
