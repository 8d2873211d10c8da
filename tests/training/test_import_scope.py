"""An importer writes within its agency scope only: two top-level agencies, A01
(with A0101) and B01, each with its own importer account for the same platform
and its own HR officer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from services.directory import national_id
from services.training.models import LearningRecord
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
# The reasons an importer reads: neither says whether the person exists in another
# agency.
PERSON_OUT = "unknown person, or outside your agency scope"
NUMBER_OUT = "no person with this national ID"


@pytest.fixture
def agencies(call, ready):
    """A's record E1 of P001 (2 h) and B's record B1 of P003, each imported by its
    own agency's importer: P001 (A01) and P003 (B01) are on the roster from then on."""
    for principal, line in ((IMPORTER_A, row("E1", hours="2")), (IMPORTER_B, row("B1", "P003"))):
        job = post(call, HEADER + line, principal=principal).json()
        assert (job["inserted"], job["errors"]) == (1, []), job
    return ready


def _records(apps: Any) -> set[str]:
    with apps["training"].state.engine.connect() as conn:
        return set(conn.execute(select(LearningRecord.external_id)).scalars())


def _errors(job: dict[str, Any]) -> set[tuple[int, str, str, str]]:
    return {(e["row"], e["field"], e["code"], e["reason"]) for e in job["errors"]}


def test_a_person_of_another_agency_fails_every_row_naming_them(call, apps, agencies):
    body = (
        HEADER
        + row("X1", "P001")  # 2: A's person, on the roster since A's import
        + row("E1", "P001", hours="2")  # 3: A's record exactly as it is
        + row("X2", "P002")  # 4: A's person, not yet on the roster
        + row("X3", "NOBODY")  # 5: no one at all
        + row("X4", "P003")  # 6: B's own person
    )
    job = post(call, body, principal=IMPORTER_B).json()
    assert (job["inserted"], job["unchanged"], job["failed"]) == (1, 0, 4)
    assert _errors(job) == {
        (line, "person_id", "unknown_person", PERSON_OUT) for line in (2, 3, 4, 5)
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
    assert _errors(job.json()) == {(2, "national_id", "unknown_national_id", NUMBER_OUT)}
    assert number not in job.text
    assert "X1" not in _records(apps)
