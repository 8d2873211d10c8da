"""An importer writes within its agency scope only, and reads only the import jobs
it may: two top-level agencies, A01 (with A0101) and B01, each with its own
importer account for the same platform and its own HR officer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.directory.domain import national_id
from services.training.models import ImportJob, LearningRecord, LearningRecordHistory
from tests.training.conftest import EMPLOYEE, HR_A01, HR_B, NATIONAL
from tests.training.test_imports import HEADER, NATIONAL_HEADER, post, row

IMPORTER_A = {
    "sub": "importer.elearn.a01",
    "kind": "machine",
    "agency_code": "A01",
    "agency_scope": ["A01", "A0101"],
    "permissions": ["training:imports:elearn"],
}
IMPORTER_B = {
    **IMPORTER_A,
    "sub": "importer.elearn.b01",
    "agency_code": "B01",
    "agency_scope": ["B01"],
}
# The reasons an importer reads: neither says whether the person or record exists
# in another agency.
PERSON_OUT = "unknown person, or outside your agency scope"
RECORD_OUT = "already used by a record outside your agency scope"
NUMBER_OUT = "no person with this national ID"


@pytest.fixture
def agencies(call, ready):
    """A's record E1 of P001 (2 h) and B's record B1 of P003, each imported by its
    own agency's importer: P001 (A01) and P003 (B01) are on the roster from then on."""
    for principal, line in ((IMPORTER_A, row("E1", hours="2")), (IMPORTER_B, row("B1", "P003"))):
        job = post(call, HEADER + line, principal=principal).json()
        assert (job["inserted"], job["errors"]) == (1, []), job
    return ready


def _record(apps: Any, external_id: str) -> dict[str, Any]:
    with apps["training"].state.engine.connect() as conn:
        found = conn.execute(
            select(LearningRecord.__table__).where(col(LearningRecord.external_id) == external_id)  # type: ignore[attr-defined]
        )
        return dict(found.mappings().one())


def _records(apps: Any) -> set[str]:
    with apps["training"].state.engine.connect() as conn:
        return set(conn.execute(select(col(LearningRecord.external_id))).scalars())


def _history_rows(apps: Any) -> int:
    with apps["training"].state.engine.connect() as conn:
        return len(conn.execute(select(col(LearningRecordHistory.id))).all())


def _errors(job: dict[str, Any]) -> set[tuple[int, str, str, str]]:
    return {(e["row"], e["field"], e["code"], e["reason"]) for e in job["errors"]}


def test_another_agencys_importer_cannot_take_over_a_record(call, apps, agencies):
    before = _record(apps, "E1")
    # B's own person, B's hours, A's external id.
    job = post(call, HEADER + row("E1", "P003", hours="9"), principal=IMPORTER_B).json()
    assert (job["inserted"], job["updated"], job["unchanged"], job["failed"]) == (0, 0, 0, 1)
    assert _errors(job) == {(1, "external_id", "record_outside_scope", RECORD_OUT)}
    assert _record(apps, "E1") == before
    assert _history_rows(apps) == 0

    record = f"/records/{before['id']}"
    mine = call("GET", record, HR_A01)
    assert mine.status_code == 200
    assert (mine.json()["person_id"], mine.json()["hours"]) == ("P001", "2.00")
    assert call("GET", f"{record}/history", HR_A01).json()["items"] == []
    assert call("GET", record, HR_B).status_code == 404
    assert call("GET", f"{record}/history", HR_B).status_code == 404
    listed = call("GET", "/records", HR_B).json()["items"]
    assert [r["external_id"] for r in listed] == ["B1"]


def test_a_person_of_another_agency_fails_every_row_naming_them(call, apps, agencies):
    body = (
        HEADER
        + row("X1", "P001")  # 1: A's person, on the roster since A's import
        + row("E1", "P001", hours="2")  # 2: A's record exactly as it is
        + row("X2", "P002")  # 3: A's person, not yet on the roster
        + row("X3", "NOBODY")  # 4: no one at all
        + row("X4", "P003")  # 5: B's own person
    )
    job = post(call, body, principal=IMPORTER_B).json()
    assert (job["inserted"], job["unchanged"], job["failed"]) == (1, 0, 4)
    assert _errors(job) == {
        (line, "person_id", "unknown_person", PERSON_OUT) for line in (1, 2, 3, 4)
    }
    assert _records(apps) == {"E1", "B1", "X4"}
    # Not only the first time: the same rows fail again.
    again = post(call, body, principal=IMPORTER_B).json()
    assert (again["inserted"], again["unchanged"], again["failed"]) == (0, 1, 4)
    assert _errors(again) == _errors(job)


def test_a_national_id_matched_outside_the_scope_fails_its_row(call, apps, agencies):
    number = national_id.with_check_digit("K12000001")
    # The directory answers for the caller's scope; should it still name a person
    # whom the roster places in another agency, training refuses the row itself.
    agencies.holders[number] = "P001"
    job = post(call, NATIONAL_HEADER + row("X1", "", national=number), principal=IMPORTER_B)
    assert _errors(job.json()) == {(1, "national_id", "unknown_national_id", NUMBER_OUT)}
    assert number not in job.text
    assert "X1" not in _records(apps)


def test_records_move_between_persons_within_the_scope_only(call, apps, agencies):
    # Within A: allowed, as before, with the old person in the history.
    job = post(call, HEADER + row("E1", "P002", hours="2"), principal=IMPORTER_A).json()
    assert (job["updated"], job["errors"]) == (1, [])
    moved = _record(apps, "E1")
    assert (moved["person_id"], moved["agency_code"]) == ("P002", "A01")
    history = call("GET", f"/records/{moved['id']}/history", HR_A01).json()["items"]
    assert [(h["before"]["person_id"], h["after"]["person_id"]) for h in history] == [
        ("P001", "P002")
    ]

    # P002 transfers to B01. The record stays filed under A01, but its person is
    # B's now: A's importer may not move it back to an A person, and B's importer
    # may not take it into B01 either.
    staff = {"persons": [{"person_id": p, "unit_id": "90"} for p in ("P003", "P002")]}
    assert call("PUT", "/roster/agencies/B01", HR_B, json=staff).status_code == 200
    by_a = post(call, HEADER + row("E1", "P001", hours="2"), principal=IMPORTER_A).json()
    assert _errors(by_a) == {(1, "external_id", "record_outside_scope", RECORD_OUT)}
    by_b = post(call, HEADER + row("E1", "P002", hours="5"), principal=IMPORTER_B).json()
    assert _errors(by_b) == {(1, "external_id", "record_outside_scope", RECORD_OUT)}
    assert _record(apps, "E1") == moved


def test_a_dry_run_reports_the_same_scope_errors(call, apps, agencies):
    body = (
        HEADER
        + row("E1", "P003", hours="9")  # 1: A's record
        + row("X1", "P001")  # 2: A's person
        + row("X2", "P003")  # 3: good
    )
    expected = {
        (1, "external_id", "record_outside_scope", RECORD_OUT),
        (2, "person_id", "unknown_person", PERSON_OUT),
    }
    dry = post(call, body, params={"dry_run": "true"}, principal=IMPORTER_B).json()
    assert (dry["dry_run"], dry["inserted"], dry["failed"]) == (True, 1, 2)
    assert _errors(dry) == expected
    assert _records(apps) == {"E1", "B1"}
    real = post(call, body, principal=IMPORTER_B).json()
    assert (real["inserted"], real["failed"]) == (1, 2)
    assert _errors(real) == expected


def _reads(call, job_id: int, principal: dict[str, Any]) -> tuple[int, int]:
    job = call("GET", f"/imports/{job_id}", principal)
    errors_csv = call("GET", f"/imports/{job_id}/errors.csv", principal)
    return job.status_code, errors_csv.status_code


def test_import_jobs_are_read_by_their_account_and_by_principals_covering_their_agencies(
    call, apps, agencies
):
    job = post(call, HEADER + row("E2", hours="x"), principal=IMPORTER_A).json()
    assert job["failed"] == 1
    assert _reads(call, job["id"], IMPORTER_A) == (200, 200)
    # Another importer account of the same agencies (a replacement credential).
    assert _reads(call, job["id"], {**IMPORTER_A, "sub": "importer.elearn.a01-2"}) == (200, 200)
    # Without an import grant no job is read at all, whichever the id: reading
    # needs the grant that the gateway checks for the route.
    for reader in (EMPLOYEE, HR_A01, HR_B, NATIONAL):
        assert _reads(call, job["id"], reader) == (403, 403)
    # B's importer of the same platform, an importer covering only
    # part of the job's agencies, and A's own account for another platform: as if
    # the job did not exist.
    part = {**IMPORTER_A, "sub": "importer.elearn.a0101", "agency_scope": ["A0101"]}
    other_source = {**IMPORTER_A, "permissions": ["training:imports:ecpa"]}
    missing = call("GET", "/imports/999", IMPORTER_B).json()
    for outsider in (IMPORTER_B, part, other_source):
        assert _reads(call, job["id"], outsider) == (404, 404)
        body = call("GET", f"/imports/{job['id']}", outsider).json()
        assert (body["type"], body["detail"]) == (missing["type"], missing["detail"])


def test_a_job_without_a_recorded_scope_is_read_by_its_account_only(call, apps, agencies):
    job = post(call, HEADER + row("E2"), principal=IMPORTER_A).json()
    # As jobs started before their scope was recorded are.
    with apps["training"].state.engine.begin() as conn:
        conn.execute(
            ImportJob.__table__.update()  # type: ignore[attr-defined]
            .where(ImportJob.__table__.c.id == job["id"])  # type: ignore[attr-defined]
            .values(agency_scope=[])
        )
    assert _reads(call, job["id"], IMPORTER_A) == (200, 200)
    assert _reads(call, job["id"], {**IMPORTER_A, "sub": "importer.elearn.a01-2"}) == (404, 404)
    assert _reads(call, job["id"], IMPORTER_B) == (404, 404)
