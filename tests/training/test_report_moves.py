"""A person who moved between agencies of a ministry has records filed in both. The
report over the ministry sums them per agency filed and adds the agencies up; it
must give the same figures as the person's own evaluation, which reads every record
of the year, and an agency alone still counts only what was filed there."""

from __future__ import annotations

import pytest

from tests.training.builders import import_rows
from tests.training.conftest import HR_A01, NATIONAL

PARAMS = {"year": 2026, "as_of": "2026-11-01"}
BEFORE = [  # filed in A01
    ("M1-1", "M1", "C-1", "major_policy", "1", "2026-02-01"),
    ("M1-2", "M1", "C-2", "environmental_education", "4", "2026-02-02"),
    ("M1-3", "M1", "C-3", "ai_basic", "3", "2026-02-03"),
    ("M1-4", "M1", "C-4", "", "6", "2026-02-04"),
]
AFTER = [  # filed in A0101
    ("M1-5", "M1", "C-5", "democratic_values;gender_mainstreaming", "5", "2026-06-01"),
    ("M1-6", "M1", "C-6", "sexual_harassment_prevention", "1", "2026-06-02"),
    ("M1-7", "M1", "C-7", "ai_advanced", "3", "2026-06-03"),
    ("M1-8", "M1", "C-8", "", "0.5", "2026-06-04"),
]


@pytest.fixture
def moved(call, wiring):
    wiring.persons.update({"M1": ("A01", 11), "S1": ("A01", 11)})
    wiring.subtrees.update({"A01": ["A01", "A0101"]})
    import_rows(call, *BEFORE, ("S1-1", "S1", "C-4", "", "2", "2026-03-01"))
    # The move: A01's roster no longer lists M1, A0101's does.
    a01 = {"persons": [{"person_id": "S1", "unit_id": "11"}]}
    a0101 = {"persons": [{"person_id": "M1", "unit_id": "21"}]}
    assert call("PUT", "/roster/agencies/A01", HR_A01, json=a01).status_code == 200
    assert call("PUT", "/roster/agencies/A0101", HR_A01, json=a0101).status_code == 200
    import_rows(call, *AFTER)
    filed = {
        r["external_id"]: r["agency_code"]
        for r in call("GET", "/records", NATIONAL, params={"person_id": "M1"}).json()["items"]
    }
    assert {filed[e] for e, *_ in BEFORE} == {"A01"}
    assert {filed[e] for e, *_ in AFTER} == {"A0101"}


def test_the_ministry_report_adds_up_both_agencies_records(call, moved):
    report = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS).json()
    evaluation = call("GET", "/persons/M1/evaluation", NATIONAL, params=PARAMS).json()
    # 23.5 hours in all: compliant only when both agencies' records count.
    assert evaluation["compliant"] and evaluation["ai_target_met"]
    assert report["tally"]["headcount"] == 2
    assert report["tally"]["compliant_count"] == 1
    assert report["tally"]["ai_target_met_count"] == 1
    assert [s["person_id"] for s in report["shortfalls"]] == ["S1"]
    (unit,) = [u for u in report["units"] if u["agency_code"] == "A0101"]
    assert unit["unit_id"] == "21"
    assert unit["tally"]["compliant_count"] == 1


def test_an_agency_alone_counts_what_was_filed_there(call, moved):
    report = call(
        "GET", "/reports/agencies/A0101", HR_A01, params={**PARAMS, "subordinates": "false"}
    ).json()
    (short,) = report["shortfalls"]
    assert short["person_id"] == "M1"
    gaps = dict((g["code"], g["missing"]) for g in short["gaps"])
    # 9.5 hours filed in A0101 of the 20 required; its AI minimum is met there (3 h).
    assert gaps["total"] == "10.50"
    assert "ai_minimum" not in gaps
