"""Requirement policies as data: national rows per year and agency overrides."""

from __future__ import annotations

import pytest

from tests.training.builders import import_rows
from tests.training.conftest import EMPLOYEE, HR_A01, HR_B, NATIONAL, NOBODY

NATIONAL_2027 = {
    "version": "national-2027",
    "total_hours": "20",
    "ai_minimum_hours": "4",
    "topic_requirements": [
        {"code": "major_policy", "topics": ["major_policy"], "minimum_hours": "1"},
        {
            "code": "environmental_education",
            "topics": ["environmental_education"],
            "minimum_hours": "4",
        },
    ],
}


def test_builtin_rows_are_listed(call):
    rows = call("GET", "/policies/national", EMPLOYEE).json()["items"]
    assert [r["year"] for r in rows] == [2017, 2024, 2025, 2026]
    assert all(r["builtin"] for r in rows)
    got = call("GET", "/policies/national/2030", EMPLOYEE).json()
    assert got["version"] == "national-2026" and float(got["ai_minimum_hours"]) == 3


def test_national_row_put_replaces_then_delete_restores(call):
    put = call("PUT", "/policies/national/2027", NATIONAL, json=NATIONAL_2027)
    assert put.status_code == 200, put.text
    got = call("GET", "/policies/national/2027", EMPLOYEE).json()
    assert (got["version"], got["builtin"], got["updated_by"]) == (
        "national-2027",
        False,
        "dgpa.admin",
    )
    effective = call(
        "GET", "/policies/agencies/A01/effective", EMPLOYEE, params={"year": 2028}
    ).json()
    assert float(effective["ai_minimum_hours"]) == 4
    assert call("DELETE", "/policies/national/2027", NATIONAL).status_code == 204
    assert call("GET", "/policies/national/2027", EMPLOYEE).json()["version"] == "national-2026"
    assert call("DELETE", "/policies/national/2027", NATIONAL).status_code == 404


def test_national_rows_are_checked_by_the_domain(call):
    bad = {**NATIONAL_2027, "cutoff": "2026-11-30"}  # not inside 2027
    response = call("PUT", "/policies/national/2027", NATIONAL, json=bad)
    assert response.status_code == 422
    assert "cutoff" in response.json()["detail"]
    reserved = {
        **NATIONAL_2027,
        "topic_requirements": [{"code": "total", "topics": ["major_policy"], "minimum_hours": "1"}],
    }
    assert call("PUT", "/policies/national/2027", NATIONAL, json=reserved).status_code == 422


def test_agency_officer_cannot_change_national_rows(call):
    assert call("PUT", "/policies/national/2027", HR_A01, json=NATIONAL_2027).status_code == 403


def test_agency_override_tightens_and_is_refused_when_looser(call):
    body = {
        "version": "a01-v1",
        "total_hours": "30",
        "cutoff_month": 11,
        "cutoff_day": 30,
        "topic_minimums": {"environmental_education": "6"},
        "extra_requirements": [
            {
                "code": "information_security",
                "topics": ["information_security"],
                "minimum_hours": "3",
            }
        ],
    }
    put = call("PUT", "/policies/agencies/A01/overrides/2026", HR_A01, json=body)
    assert put.status_code == 200, put.text
    effective = call(
        "GET", "/policies/agencies/A01/effective", EMPLOYEE, params={"year": 2026}
    ).json()
    assert float(effective["total_hours"]) == 30
    assert effective["cutoff"] == "2026-11-30" and effective["cutoff_roc"] == "115/11/30"
    assert "information_security" in [r["code"] for r in effective["requirements"]]
    assert effective["version"] == "national-2026+A01:a01-v1"
    listed = call("GET", "/policies/agencies/A01/overrides", EMPLOYEE).json()["items"]
    assert [o["from_year"] for o in listed] == [2026]

    looser = {"version": "a01-v2", "total_hours": "10"}
    response = call("PUT", "/policies/agencies/A01/overrides/2027", HR_A01, json=looser)
    assert response.status_code == 422
    assert "national floor" in response.json()["detail"]
    half = {"version": "x", "cutoff_month": 11}
    assert (
        call("PUT", "/policies/agencies/A01/overrides/2027", HR_A01, json=half).status_code == 422
    )
    assert call("DELETE", "/policies/agencies/A01/overrides/2026", HR_A01).status_code == 204
    assert call("DELETE", "/policies/agencies/A01/overrides/2026", HR_A01).status_code == 404


def test_override_outside_scope_is_404(call):
    body = {"version": "b", "total_hours": "30"}
    assert call("PUT", "/policies/agencies/A01/overrides/2026", HR_B, json=body).status_code == 404
    assert call("DELETE", "/policies/agencies/A01/overrides/2026", HR_B).status_code == 404


def test_override_changes_a_persons_evaluation(call, wiring):
    wiring.persons.update({"P001": ("A01", 11)})
    import_rows(
        call,
        ("E1", "P001", "ENV-1", "environmental_education", "20", "2025-03-02"),
        ("E2", "P001", "LATE-1", "environmental_education", "5", "2025-12-10"),
    )
    params = {"year": 2025, "as_of": "2025-12-31"}
    before = call("GET", "/persons/P001/evaluation", EMPLOYEE, params=params).json()
    assert float(before["counted_hours"]) == 25
    call(
        "PUT",
        "/policies/agencies/A01/overrides/2025",
        HR_A01,
        json={"version": "v1", "cutoff_month": 11, "cutoff_day": 30},
    )
    after = call("GET", "/persons/P001/evaluation", EMPLOYEE, params=params).json()
    assert float(after["counted_hours"]) == 20
    assert float(after["after_cutoff_hours"]) == 5


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/policies/national", None),
        ("GET", "/policies/national/2026", None),
        ("PUT", "/policies/national/2027", NATIONAL_2027),
        ("DELETE", "/policies/national/2027", None),
        ("GET", "/policies/agencies/A01/overrides", None),
        ("PUT", "/policies/agencies/A01/overrides/2026", {"version": "v"}),
        ("DELETE", "/policies/agencies/A01/overrides/2026", None),
        ("GET", "/policies/agencies/A01/effective?year=2026", None),
    ],
)
def test_no_token_401_wrong_role_403(call, method, path, body):
    assert call(method, path, None, json=body).status_code == 401
    assert call(method, path, NOBODY, json=body).status_code == 403


def test_years_without_a_national_row_are_404(call):
    assert call("GET", "/policies/national/2000", EMPLOYEE).status_code == 404
    assert (
        call("GET", "/policies/agencies/A01/effective", EMPLOYEE, params={"year": 2000}).status_code
        == 404
    )
