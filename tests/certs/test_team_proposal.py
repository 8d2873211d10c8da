"""Team proposals through the certs service: ranked candidates per slot with
their reasons, nobody twice, a slot that cannot be filled, and refusals."""

# The fixtures imported from staffing_data are redefined as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.certs.conftest import HR_A01, NOBODY
from tests.certs.staffing_data import (  # noqa: F401  (fixtures)
    STAFF_A01,
    STAFF_A02,
    Data,
    data,
    directory,
)

AUDITOR = {"sub": "auditor", "permissions": ["certs:audit:read"]}


@pytest.fixture
def scene(data: Data) -> None:
    gcp = data.version("gcp-ml", "project_technical", "professional", ("development", "research"))
    aws = data.version("aws-basic", "tool", "foundational", ("application", "development"))
    ipas = data.version("ipas-mid", "tool", "intermediate (中級)", ("application", "policy"))
    for pid, roles, certs, centi, agency in (
        ("D1", ("development",), (gcp, aws), 800, "A01"),
        ("D2", ("development", "policy"), (gcp,), 1200, "A01"),
        ("D3", ("development",), (aws,), 2000, "A01-1"),
        ("D4", ("development",), (), 3000, "A01"),
        ("Q1", ("policy",), (ipas,), 100, "A01"),
        ("A1", ("application",), (ipas, aws), 0, "A01"),
        ("A2", ("application",), (), 600, "A01-1"),
        ("X1", ("development",), (gcp,), 9000, "A02"),  # outside the scope
    ):
        data.person(pid, agency)
        for role in roles:
            data.role(pid, role, agency)
        for version in certs:
            data.certificate(pid, version, date(2026, 1, 5), agency=agency)
        data.hours(pid, 2026, centi, advanced=min(centi, 300))
    data.commit()


def propose(call: Any, who: dict[str, Any] = STAFF_A01, **body: Any) -> Any:
    body.setdefault("valid_on", "2026-06-01")
    return call("POST", "/staffing/team-proposals", who, json=body)


def placed(slot: dict[str, Any]) -> list[str]:
    return [c["person_id"] for c in slot["placed"]]


def test_a_team_is_proposed_with_reasons_ranked_per_slot(call, scene) -> None:
    answer = propose(
        call, slots=[{"role": "policy", "count": 1}, {"role": "development", "count": 2}]
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["complete"] is True
    policy, development = body["slots"]
    # Policy is scarcer (2 holders) and filled first; D2's certificate does not
    # support policy, so Q1's intermediate one ranks first.
    assert policy["fill_order"] == 0 and development["fill_order"] == 1
    assert placed(policy) == ["Q1"]
    assert placed(development) == ["D1", "D2"]  # both advanced; D1 holds two
    assert [c["person_id"] for c in development["alternates"]] == ["D3", "D4"]
    best = development["placed"][0]
    assert best["rank"] == 1
    assert best["role_certificates"] == ["gcp-ml", "aws-basic"]
    assert best["best_level"] == "advanced"
    assert best["ai_hours"] == "8.00"
    assert best["stage"] == "hands_on"
    assert best["reasons"][0].startswith("2 valid certificate(s) supporting development")
    assert development["alternates"][0]["rank"] == 3
    # D4: no certificate, many hours, ranks below the certified.
    d4 = development["alternates"][1]
    assert d4["best_level"] is None and d4["stage"] in ("entry", "advanced")


def test_a_person_is_placed_once_unless_repeats_are_asked(call, scene) -> None:
    slots = [{"role": "development", "count": 2}, {"role": "policy", "count": 2}]
    body = propose(call, slots=slots).json()
    development, policy = body["slots"]
    # Policy (2 holders) goes first and takes D2; development then takes the next.
    assert placed(policy) == ["Q1", "D2"]
    assert placed(development) == ["D1", "D3"]
    again = propose(call, slots=slots, allow_repeats=True).json()
    assert placed(again["slots"][0]) == ["D1", "D2"]
    assert placed(again["slots"][1]) == ["Q1", "D2"]


def test_a_slot_that_cannot_be_filled_says_so(call, scene) -> None:
    body = propose(
        call,
        slots=[{"role": "research", "count": 1}, {"role": "application", "count": 3}],
    ).json()
    research, application = body["slots"]
    assert body["complete"] is False
    assert research["placed"] == [] and research["shortfall"] == 1
    assert research["unfilled_reason"] == (
        "0 of 1 research found: 0 person(s) hold the role and meet the filters"
    )
    assert placed(application) == ["A1", "A2"] and application["shortfall"] == 1


def test_filters_narrow_the_candidates(call, scene) -> None:
    slot = [{"role": "development", "count": 4}]
    by_agency = propose(call, slots=slot, agency_codes=["A01-1"]).json()["slots"][0]
    assert placed(by_agency) == ["D3"]
    by_kind = propose(call, slots=slot, kinds=["project_technical"]).json()["slots"][0]
    # Only the kinds asked count: one certificate each, then D2's hours rank first.
    assert placed(by_kind) == ["D2", "D1"]
    by_hours = propose(call, slots=slot, min_ai_hours="12").json()["slots"][0]
    assert placed(by_hours) == ["D2", "D3", "D4"]
    before = propose(call, slots=slot, valid_on="2026-01-04").json()["slots"][0]
    assert all(c["role_certificates"] == [] for c in before["placed"])
    assert placed(before) == ["D4", "D3", "D2", "D1"]  # by hours alone


def test_subordinates_from_the_directory(call, scene, directory) -> None:
    directory.subtrees["A01"] = ["A01", "A01-1"]
    slot = [{"role": "application", "count": 2}]
    alone = propose(call, slots=slot, agency_codes=["A01"]).json()
    assert placed(alone["slots"][0]) == ["A1"] and alone["agencies"] == ["A01"]
    tree = propose(call, slots=slot, agency_codes=["A01"], subordinates=True).json()
    assert placed(tree["slots"][0]) == ["A1", "A2"] and tree["agencies"] == ["A01", "A01-1"]


def test_the_persons_proposed_are_personal_data_reads(call, scene) -> None:
    propose(call, slots=[{"role": "policy", "count": 1}], alternates=0)
    reads = call("GET", "/audit/personal-data-reads", AUDITOR).json()["items"]
    assert [r["subject_person_id"] for r in reads if r["resource"] == "team proposal"] == ["Q1"]


def test_refusals(call, scene) -> None:
    body = {"slots": [{"role": "policy", "count": 1}]}
    assert call("POST", "/staffing/team-proposals", json=body).status_code == 401
    assert call("POST", "/staffing/team-proposals", NOBODY, json=body).status_code == 403
    assert call("POST", "/staffing/team-proposals", HR_A01, json=body).status_code == 403
    outside = propose(call, slots=body["slots"], agency_codes=["A02"])
    assert outside.status_code == 404
    assert outside.headers["content-type"] == "application/problem+json"
    # The other agency's officer sees only its own person.
    theirs = propose(call, STAFF_A02, slots=[{"role": "development", "count": 3}]).json()
    assert placed(theirs["slots"][0]) == ["X1"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slots": []}, "body.slots"),
        ({"slots": [{"role": "wizard", "count": 1}]}, "body.slots.0.role"),
        ({"slots": [{"role": "policy", "count": 0}]}, "body.slots.0.count"),
        ({"slots": [{"role": "policy", "count": 51}]}, "body.slots.0.count"),
        ({"slots": [{"role": "policy", "count": 1}], "min_ai_hours": "-1"}, "body.min_ai_hours"),
        ({"slots": [{"role": "policy", "count": 1}], "kinds": ["tool", "tool"]}, "body.kinds"),
        ({"slots": [{"role": "policy", "count": 1}], "valid_on": "2026-02-30"}, "body.valid_on"),
        ({"slots": [{"role": "policy", "count": 1}], "alternates": 21}, "body.alternates"),
        ({"slots": [{"role": "policy", "count": 1}], "colour": "red"}, "body.colour"),
    ],
)
def test_bad_asks_are_422_naming_the_field(call, scene, body, field) -> None:
    answer = call("POST", "/staffing/team-proposals", STAFF_A01, json=body)
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
