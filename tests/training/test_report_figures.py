"""The agency report adds hours up in the database and decides from the sums; each
person's evaluation decides from their records. Over a mix of tag sets, an agency
override (earlier cut-off, extra requirement), withdrawn and corrected records,
records after the cut-off and after the report's day, the two must agree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.training.schemas.reports import AgencyReportOut
from tests.training.builders import course, import_rows
from tests.training.conftest import HR_A01, NATIONAL

PARAMS = {"year": 2026, "as_of": "2026-11-01"}
OVERRIDE = {
    "version": "a0101-v1",
    "total_hours": "24",
    "cutoff_month": 9,
    "cutoff_day": 30,
    "topic_minimums": {"environmental_education": "6"},
    "extra_requirements": [
        {"code": "information_security", "topics": ["information_security"], "minimum_hours": "3"}
    ],
}
FULL = [
    ("major_policy", "1"),
    ("environmental_education;information_security", "6"),
    ("democratic_values;gender_mainstreaming", "3"),
    ("democratic_values", "1.5"),
    ("sexual_harassment_prevention", "1"),
    ("ai_basic", "3"),
    ("ai_advanced;ai_basic", "3"),
    ("", "5.5"),
]


@pytest.fixture
def data(call, wiring):
    persons = {f"P{i}": ("A01", 11 + i % 2) for i in range(1, 7)}
    persons |= {"Q1": ("A0101", 21), "Q2": ("A0101", 21), "Q3": ("A0101", 22)}
    wiring.persons.update(persons)
    wiring.subtrees.update({"A01": ["A01", "A0101"]})
    put = call("PUT", "/policies/agencies/A0101/overrides/2026", HR_A01, json=OVERRIDE)
    assert put.status_code == 200, put.text
    rows = []
    for person, days in (
        ("P1", "2026-05-01"),  # everything, in time
        ("P2", "2026-05-01"),
        ("Q1", "2026-05-01"),
        ("Q2", "2026-10-05"),  # after A0101's cut-off
        ("P3", "2026-11-10"),  # after the report's day
    ):
        rows += [
            (f"{person}-{i}", person, f"C-{i}", topics, hours, days)
            for i, (topics, hours) in enumerate(FULL)
        ]
    rows += [
        ("P4-1", "P4", "C-0", "major_policy", "0.99", "2026-02-01"),
        ("P4-2", "P4", "C-5", "ai_basic", "2.99", "2026-02-01"),
        ("P5-1", "P5", "C-7", "", "20", "2025-12-31"),  # the year before
        ("P5-2", "P5", "C-7", "", "20", "2026-01-01"),
        ("Q3-1", "Q3", "C-1", "environmental_education;information_security", "6", "2026-09-30"),
    ]
    import_rows(call, *rows)
    staff = {"persons": [{"person_id": p, "unit_id": str(u)} for p, (a, u) in persons.items()]}
    for agency in ("A01", "A0101"):
        listed = {"persons": [p for p in staff["persons"] if persons[p["person_id"]][0] == agency]}
        listed["persons"].append({"person_id": f"N-{agency}", "unit_id": "9"})  # no records
        assert call("PUT", f"/roster/agencies/{agency}", HR_A01, json=listed).status_code == 200
    ids = {
        r["external_id"]: r["id"]
        for r in call("GET", "/records", NATIONAL, params={"limit": 200}).json()["items"]
    }
    # P2 loses the gender-mainstreaming hours; P1's plain record becomes advanced AI.
    withdrawn = call(
        "POST", f"/records/{ids['P2-2']}/withdrawal", HR_A01, json={"reason": "duplicate"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    ai = course(call, "AI-ADV", topics=["ai_advanced"])
    moved = call(
        "POST",
        f"/records/{ids['P1-7']}/corrections",
        HR_A01,
        json={"course_id": ai, "reason": "wrong course"},
    )
    assert moved.status_code == 200, moved.text
    fixed = call(
        "POST", f"/records/{ids['P4-1']}/corrections", HR_A01, json={"hours": "1", "reason": "x"}
    )
    assert fixed.status_code == 200, fixed.text
    return [*persons, "N-A01", "N-A0101"]


def test_report_agrees_with_each_persons_evaluation(call, data):
    response = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS)
    assert response.status_code == 200, response.text
    report = response.json()
    evaluations = {
        p: call("GET", f"/persons/{p}/evaluation", NATIONAL, params=PARAMS).json() for p in data
    }
    assert all("requirements" in e for e in evaluations.values()), evaluations

    tally = report["tally"]
    assert tally["headcount"] == len(data)
    assert tally["compliant_count"] == sum(e["compliant"] for e in evaluations.values())
    assert tally["ai_target_met_count"] == sum(e["ai_target_met"] for e in evaluations.values())
    for rate in tally["requirements"]:
        held = [
            r for e in evaluations.values() for r in e["requirements"] if r["code"] == rate["code"]
        ]
        assert (rate["applies_to"], rate["met_count"]) == (len(held), sum(r["met"] for r in held))

    short = {s["person_id"]: s for s in report["shortfalls"]}
    assert set(short) == {p for p, e in evaluations.items() if not e["compliant"]}
    for person, entry in short.items():
        unmet = [
            {"code": r["code"], "missing": r["missing"]}
            for r in evaluations[person]["requirements"]
            if r["kind"] != "ai_target" and not r["met"]
        ]
        assert entry["gaps"] == unmet, person
        assert entry["hours_short"] == max(unmet, key=lambda g: Decimal(g["missing"]))["missing"]

    # The checks above must not pass for want of variety.
    assert evaluations["P1"]["ai_target_met"] and evaluations["P1"]["compliant"]
    assert not evaluations["P2"]["compliant"]  # gender mainstreaming withdrawn
    assert evaluations["Q1"]["compliant"] and not evaluations["Q2"]["compliant"]
    assert not evaluations["P3"]["compliant"]  # records after the report's day
    assert not evaluations["Q3"]["compliant"]
    assert "information_security" in {r["code"] for r in tally["requirements"]}


def test_the_json_is_what_the_model_would_write(call, data):
    response = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS)
    model = AgencyReportOut.model_validate_json(response.content)
    assert response.content == model.model_dump_json().encode()
    assert response.headers["content-type"] == "application/json"


def test_the_report_read_is_audited_once_per_agency(call, data):
    call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS)
    audit = call("GET", "/audit/personal-data-reads", {"permissions": ["training:audit:read"]})
    rows = [
        (r["reader"], r["subject_person_id"], r["fields"])
        for r in audit.json()["items"]
        if r["resource"] == "agency report"
    ]
    assert rows == [
        ("hr.a01", "agency:A01", "shortfalls 2026 as of 2026-11-01"),
        ("hr.a01", "agency:A0101", "shortfalls 2026 as of 2026-11-01"),
    ]
