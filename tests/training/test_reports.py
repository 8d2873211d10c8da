"""Agency and person reports: the roll-up over subordinates, scope and refusals
(the files are in test_report_files.py)."""

from __future__ import annotations

import pytest

from tests.training.builders import report_data
from tests.training.conftest import EMPLOYEE, HR_A01, HR_B, NOBODY, Down

PARAMS = {"year": 2026, "as_of": "2026-11-01"}


@pytest.fixture
def data(call, wiring):
    return report_data(call, wiring)


def test_agency_report_rolls_up_subordinates(call, data):
    response = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["agencies"] == ["A01", "A0101"]
    tally = report["tally"]
    assert (tally["headcount"], tally["compliant_count"], tally["ai_target_met_count"]) == (4, 2, 2)
    assert float(tally["ai_completion_rate"]) == 0.5
    rates = {r["code"]: r for r in tally["requirements"]}
    assert rates["ai_minimum"]["met_count"] == 3
    assert float(rates["ai_minimum"]["share"]) == 0.75
    short = {s["person_id"]: s for s in report["shortfalls"]}
    assert set(short) == {"P002", "P003"}
    assert float(short["P003"]["hours_short"]) == 20
    assert float(short["P002"]["hours_short"]) == 17
    assert [(u["agency_code"], u["unit_id"], u["tally"]["headcount"]) for u in report["units"]] == [
        ("A01", "11", 2),
        ("A01", "12", 1),
        ("A0101", "21", 1),
    ]
    assert report["as_of_roc"] == "115/11/01"


def test_without_subordinates(call, data):
    params = {**PARAMS, "subordinates": "false"}
    report = call("GET", "/reports/agencies/A01", HR_A01, params=params).json()
    assert report["agencies"] == ["A01"] and report["tally"]["headcount"] == 3


def test_scope_narrows_the_subtree(call, data):
    narrow = {**HR_A01, "agency_scope": ["A01"]}
    report = call("GET", "/reports/agencies/A01", narrow, params=PARAMS).json()
    assert report["agencies"] == ["A01"]


def test_report_outside_scope_is_404_and_without_an_agency_scope_403(call, data):
    assert call("GET", "/reports/agencies/A01", HR_B, params=PARAMS).status_code == 404
    # An employee's `…:self` cannot reach an agency at all.
    assert call("GET", "/reports/agencies/A01", EMPLOYEE, params=PARAMS).status_code == 403


def test_directory_down_is_503_for_subordinates(call, data):
    data.transports["directory"] = Down()
    response = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS)
    assert response.status_code == 503
    params = {**PARAMS, "subordinates": "false"}
    assert call("GET", "/reports/agencies/A01", HR_A01, params=params).status_code == 200


def test_person_report(call, data):
    response = call("GET", "/reports/persons/P001", EMPLOYEE, params=PARAMS)
    assert response.status_code == 200
    body = response.json()
    assert body["evaluation"]["compliant"] is True
    assert len(body["records"]) == 8
    assert body["records"][0]["completed_on_roc"] == "115/05/01"
    text = call("GET", "/reports/persons/P001/records.csv", EMPLOYEE, params=PARAMS)
    assert "115/05/01" in text.content.decode("utf-8-sig")
    assert call("GET", "/reports/persons/P002", EMPLOYEE, params=PARAMS).status_code == 404
    assert call("GET", "/reports/persons/P009", HR_A01, params=PARAMS).status_code == 404
    assert call("GET", "/reports/persons/NOPE", HR_A01, params=PARAMS).status_code == 404


@pytest.mark.parametrize("path", ["/reports/agencies/A01", "/reports/persons/P001"])
def test_no_token_401_wrong_role_403(call, path):
    assert call("GET", path, None, params=PARAMS).status_code == 401
    assert call("GET", path, NOBODY, params=PARAMS).status_code == 403


def test_roster_push_replaces_the_agency_list(call, wiring):
    first = {"persons": [{"person_id": "P1", "unit_id": "1"}, {"person_id": "P2"}]}
    assert call("PUT", "/roster/agencies/A01", HR_A01, json=first).json()["listed"] == 2
    second = {"persons": [{"person_id": "P2", "unit_id": "3"}]}
    assert call("PUT", "/roster/agencies/A01", HR_A01, json=second).json() == {
        "agency_code": "A01",
        "listed": 1,
        "removed": 1,
    }
    assert call("PUT", "/roster/agencies/A01", HR_B, json=second).status_code == 404
    assert call("PUT", "/roster/agencies/A01", None, json=second).status_code == 401
    assert call("PUT", "/roster/agencies/A01", EMPLOYEE, json=second).status_code == 403
    assert (
        call("PUT", "/roster/agencies/A01", HR_A01, json={"persons": [{"x": 1}]}).status_code == 422
    )
