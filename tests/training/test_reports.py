"""Agency and person reports: the roll-up over subordinates, and CSV/XLSX downloads
holding the numbers the JSON report gives."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.training.builders import import_rows
from tests.training.conftest import EMPLOYEE, HR_A01, HR_B, NOBODY, Down

PARAMS = {"year": 2026, "as_of": "2026-11-01"}


@pytest.fixture
def data(call, wiring):
    wiring.persons.update(
        {
            "P001": ("A01", 11),
            "P002": ("A01", 11),
            "P003": ("A01", 12),
            "P004": ("A0101", 21),
            "P009": ("B01", 90),
        }
    )
    wiring.subtrees.update({"A01": ["A01", "A0101"]})
    full = [
        ("ai_basic", "3"),
        ("ai_advanced", "3"),
        ("environmental_education", "4"),
        ("major_policy", "1"),
        ("democratic_values", "3"),
        ("gender_mainstreaming", "1"),
        ("sexual_harassment_prevention", "1"),
        ("", "4"),
    ]
    rows = []
    for person in ("P001", "P004"):  # fully compliant, AI target met
        rows += [
            (f"{person}-{i}", person, f"C-{topic or 'general'}", topic, hours, "2026-05-01")
            for i, (topic, hours) in enumerate(full)
        ]
    rows.append(("P002-1", "P002", "C-ai_basic", "ai_basic", "3", "2026-05-01"))  # AI min only
    rows.append(("P009-1", "P009", "C-ai_basic", "ai_basic", "3", "2026-05-01"))
    import_rows(call, *rows)
    # P003 has no records: the staff list puts them in the headcount all the same.
    staff = {
        "persons": [
            {"person_id": p, "unit_id": u}
            for p, u in (("P001", "11"), ("P002", "11"), ("P003", "12"))
        ]
    }
    assert call("PUT", "/roster/agencies/A01", HR_A01, json=staff).status_code == 200
    return wiring


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


def test_xlsx_holds_the_json_numbers(call, data):
    report = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS).json()
    response = call("GET", "/reports/agencies/A01", HR_A01, params={**PARAMS, "format": "xlsx"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(values_only=True)}
    tally = report["tally"]
    assert summary["headcount"] == tally["headcount"]
    assert summary["compliant_count"] == tally["compliant_count"]
    assert summary["ai_completion_rate"] == pytest.approx(float(tally["ai_completion_rate"]))
    assert summary["roc_year"] == 115 and summary["as_of_roc"] == "115/11/01"
    for rate in tally["requirements"]:
        assert summary[f"share_{rate['code']}"] == pytest.approx(float(rate["share"]))
    units = list(book["units"].iter_rows(values_only=True))
    header = units[0]
    by_unit = {(r[0], str(r[1])): dict(zip(header, r, strict=True)) for r in units[2:]}
    for unit in report["units"]:
        row = by_unit[(unit["agency_code"], unit["unit_id"])]
        assert row["headcount"] == unit["tally"]["headcount"]
        assert row["ai_completion_rate"] == pytest.approx(
            float(unit["tally"]["ai_completion_rate"])
        )
    assert len(book["units"]._charts) == 1  # type: ignore[attr-defined]
    shortfalls = list(book["shortfalls"].iter_rows(values_only=True))[1:]
    assert [(r[0], r[3]) for r in shortfalls] == [
        (s["person_id"], float(s["hours_short"])) for s in report["shortfalls"]
    ]


def test_csv_holds_the_json_numbers(call, data):
    report = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS).json()
    response = call("GET", "/reports/agencies/A01", HR_A01, params={**PARAMS, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["year", "2026", "roc_year", "115"]
    assert rows[1][3] == "115/11/01"
    header, total = rows[3], rows[4]
    got = dict(zip(header, total, strict=True))
    assert int(got["headcount"]) == report["tally"]["headcount"]
    assert got["ai_completion_rate"] == report["tally"]["ai_completion_rate"]


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
    text = call("GET", "/reports/persons/P001", EMPLOYEE, params={**PARAMS, "format": "csv"})
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
