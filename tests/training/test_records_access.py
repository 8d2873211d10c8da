"""Object-level access to learning records, and corrections/withdrawals with history."""

from __future__ import annotations

import pytest

from tests.training.builders import import_rows
from tests.training.conftest import EMPLOYEE, HR_A01, HR_B, NOBODY

SUPERVISOR = {
    "sub": "sup.a01",
    "person_id": "P001",
    "agency_code": "A01",
    "agency_scope": ["A01"],
    "permissions": ["training:records:read:unit"],
}


@pytest.fixture
def data(call, wiring):
    wiring.persons.update(
        {"P001": ("A01", 11), "P002": ("A01", 12), "P009": ("B01", 90), "P003": ("A01", 11)}
    )
    import_rows(
        call,
        ("E1", "P001", "AI-101", "ai_basic", "3", "2026-03-02"),
        ("E2", "P002", "AI-101", "ai_basic", "2", "2026-03-03"),
        ("E3", "P009", "AI-101", "ai_basic", "1", "2026-03-04"),
        ("E4", "P003", "AI-101", "ai_basic", "1", "2026-03-04"),
    )
    records = call("GET", "/records", {"sub": "root", "permissions": ["training:records:read"]})
    return {r["external_id"]: r["id"] for r in records.json()["items"]}


def people(response) -> list[str]:
    return sorted({r["person_id"] for r in response.json()["items"]})


def test_each_sees_their_reach(call, data):
    assert people(call("GET", "/records", EMPLOYEE)) == ["P001"]
    assert people(call("GET", "/records", HR_A01)) == ["P001", "P002", "P003"]
    assert people(call("GET", "/records", HR_B)) == ["P009"]
    assert people(call("GET", "/records", SUPERVISOR)) == ["P001", "P003"]


def test_employee_reading_anothers_record_is_404(call, data):
    assert call("GET", f"/records/{data['E1']}", EMPLOYEE).status_code == 200
    assert call("GET", f"/records/{data['E2']}", EMPLOYEE).status_code == 404
    assert call("GET", f"/records/{data['E2']}/history", EMPLOYEE).status_code == 404
    assert (
        call("GET", "/persons/P002/evaluation", EMPLOYEE, params={"year": 2026}).status_code == 404
    )


def test_hr_outside_scope_is_404(call, data):
    assert call("GET", f"/records/{data['E3']}", HR_A01).status_code == 404
    assert call("GET", "/persons/P009/evaluation", HR_A01, params={"year": 2026}).status_code == 404
    body = {"hours": "2", "reason": "typo"}
    assert call("POST", f"/records/{data['E3']}/corrections", HR_A01, json=body).status_code == 404


def test_reads_by_others_are_audited(call, data):
    call("GET", f"/records/{data['E2']}", HR_A01)
    call("GET", f"/records/{data['E1']}", EMPLOYEE)  # one's own: not audited
    audit = call("GET", "/audit/personal-data-reads", {"permissions": ["training:audit:read"]})
    rows = [(r["reader"], r["subject_person_id"]) for r in audit.json()["items"]]
    assert ("hr.a01", "P002") in rows
    assert all(reader != "emp.a01" for reader, _ in rows)


def test_correction_and_withdrawal_keep_history(call, data):
    record = data["E2"]
    fixed = call(
        "POST",
        f"/records/{record}/corrections",
        HR_A01,
        json={"hours": "2.5", "reason": "platform rounded down"},
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["hours"], fixed.json()["version"]) in [("2.50", 2), ("2.5", 2)]
    gone = call("POST", f"/records/{record}/withdrawal", HR_A01, json={"reason": "duplicate"})
    assert gone.json()["withdrawn"] is True
    history = call("GET", f"/records/{record}/history", HR_A01).json()["items"]
    assert [(h["action"], h["actor"], h["reason"]) for h in history] == [
        ("corrected", "hr.a01", "platform rounded down"),
        ("withdrawn", "hr.a01", "duplicate"),
    ]
    assert history[0]["before"]["hours"] == "2.00"
    assert history[1]["after"]["withdrawn"] is True
    ev = call(
        "GET", "/persons/P002/evaluation", HR_A01, params={"year": 2026, "as_of": "2026-06-30"}
    ).json()
    assert float(ev["counted_hours"]) == 0


def test_correction_validation(call, data):
    url = f"/records/{data['E1']}/corrections"
    assert call("POST", url, HR_A01, json={"reason": "nothing"}).status_code == 422
    assert call("POST", url, HR_A01, json={"hours": "-1", "reason": "x"}).status_code == 422
    assert call("POST", url, HR_A01, json={"hours": "1"}).status_code == 422
    assert call("POST", url, HR_A01, json={"course_id": 999, "reason": "x"}).status_code == 422
    assert call("POST", url, EMPLOYEE, json={"hours": "1", "reason": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/records", None),
        ("GET", "/records/1", None),
        ("GET", "/records/1/history", None),
        ("POST", "/records/1/corrections", {"hours": "1", "reason": "x"}),
        ("POST", "/records/1/withdrawal", {"reason": "x"}),
        ("GET", "/persons/P001/evaluation?year=2026", None),
    ],
)
def test_no_token_401_wrong_role_403(call, method, path, body):
    assert call(method, path, None, json=body).status_code == 401
    assert call(method, path, NOBODY, json=body).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/records/999", None),
        ("GET", "/records/999/history", None),
        ("POST", "/records/999/corrections", {"hours": "1", "reason": "x"}),
        ("POST", "/records/999/withdrawal", {"reason": "x"}),
        ("GET", "/persons/NOPE/evaluation?year=2026", None),
    ],
)
def test_missing_is_404(call, method, path, body):
    assert call(method, path, HR_A01, json=body).status_code == 404


def test_evaluation_numbers(call, data, wiring):
    import_rows(
        call,
        ("E10", "P001", "AI-201", "ai_advanced", "3", "2026-04-01"),
        ("E11", "P001", "ENV-1", "environmental_education", "4", "2026-04-02"),
        ("E12", "P001", "OLD-1", "major_policy", "1", "2025-12-31T23:30:00+08:00"),
        ("E13", "P001", "NY-1", "major_policy", "1", "2025-12-31T16:30:00+00:00"),
    )
    ev = call(
        "GET", "/persons/P001/evaluation", EMPLOYEE, params={"year": 2026, "as_of": "2026-12-31"}
    ).json()
    by = {r["code"]: r for r in ev["requirements"]}
    # 3 basic + 3 advanced + 4 env + 1 major policy (16:30 UTC on 31 Dec is 1 Jan in Taipei).
    assert float(ev["counted_hours"]) == 11
    assert by["ai_minimum"]["met"] and ev["ai_target_met"]
    assert by["major_policy"]["met"] is True
    assert float(by["total"]["missing"]) == 9
    assert ev["cutoff_roc"] == "115/12/31"
    assert ev["policy_version"] == "national-2026"
