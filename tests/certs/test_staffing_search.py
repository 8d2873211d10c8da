"""Staffing search through the certs service: every filter, sorting, pages,
counts per agency, what a row holds (and never holds), the audit, and refusals."""

# The fixtures imported from staffing_data are redefined as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.certs.conftest import HR_A01, NOBODY
from tests.certs.staffing_data import (  # noqa: F401  (fixtures)
    STAFF_A01,
    STAFF_A011,
    STAFF_A02,
    Data,
    data,
    directory,
)

AUDITOR = {"sub": "auditor", "permissions": ["certs:audit:read"]}


@pytest.fixture
def scene(data: Data) -> dict[str, int]:
    lit = data.version("gov-ai-core", "literacy", "core (no coding)", ("application", "policy"))
    ipas = data.version("ipas-mid", "tool", "intermediate (中級)", ("application", "policy"))
    gcp = data.version("gcp-ml", "project_technical", "professional", ("development",))
    aws = data.version("aws-basic", "tool", "foundational", ("application", "development"))
    p1 = data.person("P1", "A01", "U1")
    data.role(p1, "development")
    data.certificate(p1, gcp, date(2026, 1, 10), date(2028, 1, 10))
    data.hours(p1, 2026, 1250, 600)
    p2 = data.person("P2", "A01", "U2")
    data.role(p2, "application")
    data.role(p2, "policy")
    data.certificate(p2, ipas, date(2026, 2, 1))
    data.hours(p2, 2026, 600)
    data.hours(p2, 2025, 4000)
    p3 = data.person("P3", "A01-1", "U1")
    data.role(p3, "application", "A01-1")
    data.certificate(p3, aws, state="submitted", agency="A01-1")
    data.hours(p3, 2026, 300)
    p4 = data.person("P4", "A02", "U1")
    data.role(p4, "development", "A02")
    data.certificate(p4, gcp, agency="A02")
    data.hours(p4, 2026, 2000)
    p5 = data.person("P5", "A01", "U1")
    data.certificate(p5, lit, date(2025, 1, 1), date(2026, 2, 1), state="expired")
    p6 = data.person("P6", "A01", "U3")
    data.role(p6, "research", ended=True)
    data.certificate(p6, aws, state="revoked")
    data.commit()
    return {"lit": lit, "ipas": ipas, "gcp": gcp, "aws": aws}


def found(call: Any, who: dict[str, Any] = STAFF_A01, **params: Any) -> list[str]:
    params.setdefault("valid_on", "2026-06-01")
    params.setdefault("limit", 500)
    answer = call("GET", "/staffing/persons", who, params=params)
    assert answer.status_code == 200, answer.text
    return [row["person_id"] for row in answer.json()["items"]]


def test_the_scope_alone_finds_every_person_of_ones_agencies_by_ai_hours(call, scene) -> None:
    answer = call("GET", "/staffing/persons", STAFF_A01, params={"valid_on": "2026-06-01"})
    body = answer.json()
    assert [r["person_id"] for r in body["items"]] == ["P1", "P2", "P3", "P5", "P6"]
    assert body["total"] == 5
    assert body["agency_counts"] == [
        {"agency_code": "A01", "persons": 4},
        {"agency_code": "A01-1", "persons": 1},
    ]
    assert (body["valid_on"], body["year"]) == ("2026-06-01", 2026)
    assert found(call, STAFF_A02) == ["P4"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"role": "development"}, ["P1"]),
        ({"role": ["application", "policy"]}, ["P2", "P3"]),
        ({"role": "research"}, []),  # P6's role has ended
        ({"kind": "project_technical"}, ["P1"]),
        ({"kind": "tool"}, ["P2"]),  # P3's is submitted, P6's revoked
        ({"catalogue_code": "ipas-mid"}, ["P2"]),
        ({"catalogue_code": ["ipas-mid", "gcp-ml"]}, ["P1", "P2"]),
        ({"min_level": "intermediate"}, ["P1", "P2"]),
        ({"min_level": "advanced"}, ["P1"]),
        ({"min_level": "basic"}, ["P1", "P2"]),
        ({"kind": "tool", "min_level": "advanced"}, []),
        ({"kind": "literacy", "valid_on": "2026-01-31"}, ["P5"]),  # its last valid day
        ({"kind": "literacy", "valid_on": "2026-02-01"}, []),  # the day it lapses
        ({"kind": "project_technical", "valid_on": "2026-01-09"}, []),  # before obtained
        ({"min_ai_hours": "6"}, ["P1", "P2"]),
        ({"min_ai_hours": "6.01"}, ["P1"]),
        ({"min_ai_hours": "0"}, ["P1", "P2", "P3", "P5", "P6"]),
        ({"min_ai_hours": "30", "year": 2025}, ["P2"]),
        ({"agency_code": "A01-1"}, ["P3"]),
        ({"agency_code": "A01"}, ["P1", "P2", "P5", "P6"]),
        ({"unit_id": "U2"}, ["P2"]),
        ({"unit_id": "U1", "role": "application"}, ["P3"]),
        ({"role": "application", "min_ai_hours": "5", "agency_code": "A01"}, ["P2"]),
    ],
)
def test_each_filter_narrows_the_search(call, scene, params, expected) -> None:
    assert found(call, **params) == expected


def test_subordinates_come_from_the_directory_within_ones_scope(call, scene, directory) -> None:
    directory.subtrees["A01"] = ["A01", "A01-1", "A01-2"]
    assert found(call, agency_code="A01", subordinates="true") == ["P1", "P2", "P3", "P5", "P6"]
    assert directory.asked == ["A01"]
    # An officer of the subordinate alone does not reach the parent.
    answer = call("GET", "/staffing/persons", STAFF_A011, params={"agency_code": "A01"})
    assert answer.status_code == 404


def test_without_subordinates_the_directory_is_not_asked(call, scene, directory) -> None:
    directory.down = True
    assert found(call, agency_code="A01") == ["P1", "P2", "P5", "P6"]
    answer = call(
        "GET", "/staffing/persons", STAFF_A01, params={"agency_code": "A01", "subordinates": True}
    )
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert "directory" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("ai_hours", ["P1", "P2", "P3", "P5", "P6"]),
        ("certificates", ["P1", "P2", "P3", "P5", "P6"]),
        ("person_id", ["P1", "P2", "P3", "P5", "P6"]),
    ],
)
def test_pages_walk_every_sort_without_gap_or_repeat(call, scene, sort, expected) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"valid_on": "2026-06-01", "limit": 2, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        body = call("GET", "/staffing/persons", STAFF_A01, params=params).json()
        assert body["total"] == 5 and len(body["items"]) <= 2
        seen += [r["person_id"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_sorting_by_certificates_puts_most_first(call, scene, data: Data) -> None:
    data.certificate("P2", scene["lit"], date(2026, 3, 1))
    data.commit()
    assert found(call, sort="certificates")[:2] == ["P2", "P1"]
    assert found(call, sort="ai_hours")[:2] == ["P1", "P2"]


def test_a_row_holds_roles_valid_certificates_and_hours_and_nothing_personal(call, scene) -> None:
    body = call(
        "GET", "/staffing/persons", STAFF_A01, params={"valid_on": "2026-06-01", "role": "policy"}
    ).json()
    (row,) = body["items"]
    assert set(row) == {"person_id", "agency_code", "unit_id", "roles", "certificates", "ai_hours"}
    assert row["roles"] == ["application", "policy"]
    assert row["ai_hours"] == "6.00"
    (held,) = row["certificates"]
    assert held["catalogue_code"] == "ipas-mid"
    assert (held["kind"], held["level"], held["level_order"]) == (
        "tool",
        "intermediate (中級)",
        "intermediate",
    )
    assert held["expires_on"] is None
    p1 = call("GET", "/staffing/persons", STAFF_A01, params={"role": "development"}).json()
    assert p1["items"][0]["certificates"][0]["expires_on"] == "2028-01-10"


def test_each_person_listed_is_a_personal_data_read(call, scene) -> None:
    found(call, role="application")
    reads = call("GET", "/audit/personal-data-reads", AUDITOR).json()["items"]
    rows = [r for r in reads if r["resource"] == "staffing search"]
    assert sorted(r["subject_person_id"] for r in rows) == ["P2", "P3"]
    assert {r["reader"] for r in rows} == {"staff.a01"}


def test_refusals(call, scene) -> None:
    assert call("GET", "/staffing/persons").status_code == 401
    for who in (NOBODY, HR_A01):  # HR_A01 holds no staffing grant
        answer = call("GET", "/staffing/persons", who)
        assert answer.status_code == 403, who["sub"]
    outside = call("GET", "/staffing/persons", STAFF_A01, params={"agency_code": "A02"})
    missing = call("GET", "/staffing/persons", STAFF_A01, params={"agency_code": "ZZZ"})
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["detail"] == missing.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"role": "wizard"}, "query.role.0"),
        ({"kind": "magic"}, "query.kind.0"),
        ({"min_level": "expert"}, "query.min_level"),
        ({"min_ai_hours": "-1"}, "query.min_ai_hours"),
        ({"min_ai_hours": "abc"}, "query.min_ai_hours"),
        ({"valid_on": "2026-02-30"}, "query.valid_on"),
        ({"year": 1800}, "query.year"),
        ({"sort": "name"}, "query.sort"),
        ({"catalogue_code": "Not A Code"}, "query.catalogue_code.0"),
        ({"cursor": "!!"}, "query.cursor"),
        ({"limit": 501}, "query.limit"),
    ],
)
def test_bad_filters_are_422_naming_the_field(call, scene, params, field) -> None:
    answer = call("GET", "/staffing/persons", STAFF_A01, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]]


def test_a_cursor_of_another_sort_is_refused(call, scene) -> None:
    first = call(
        "GET", "/staffing/persons", STAFF_A01, params={"limit": 1, "sort": "ai_hours"}
    ).json()
    answer = call(
        "GET",
        "/staffing/persons",
        STAFF_A01,
        params={"limit": 1, "sort": "person_id", "cursor": first["next_cursor"]},
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["query.cursor"]
