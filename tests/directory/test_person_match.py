"""Matching national IDs to persons (service-only `POST /persons/match`): one answer
per number in order, only within the caller's reach, one audit row per call, and
the numbers never echoed, logged or stored."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from gateway.route_policy import ROUTES
from services.common.logs import JsonFormatter
from services.directory.demo import PERSONS
from services.directory.domain import national_id
from services.directory.models import personal_data_reads
from services.directory.schemas import MAX_MATCHED_NATIONAL_IDS
from tests.directory.conftest import ELEARN, EMPLOYEE, HR_A01, IMPORTER, principal

NUMBER = {pid: national_id.with_check_digit(stem) for pid, *_, stem in PERSONS}
UNKNOWN = national_id.with_check_digit("M18000008")
BAD = NUMBER["P0003"][:-1] + str((int(NUMBER["P0003"][-1]) + 1) % 10)
SENT = [
    NUMBER["P0003"],  # A01: found
    BAD,  # wrong check digit
    UNKNOWN,  # valid, held by no one
    NUMBER["P0008"],  # A03: outside the caller's agencies, so not disclosed
    f"  {NUMBER['P0007'].lower()} ",  # A02, written loosely: found
    "A12",  # too short
    NUMBER["P0003"],  # again: answered again
]
EXPECTED = [
    {"index": 0, "status": "found", "person_id": "P0003", "reason": None},
    {"index": 1, "status": "invalid", "person_id": None, "reason": "invalid checksum"},
    {"index": 2, "status": "not_found", "person_id": None, "reason": None},
    {"index": 3, "status": "not_found", "person_id": None, "reason": None},
    {"index": 4, "status": "found", "person_id": "P0007", "reason": None},
    {
        "index": 5,
        "status": "invalid",
        "person_id": None,
        "reason": "must be 10 characters: a letter then 9 digits",
    },
    {"index": 6, "status": "found", "person_id": "P0003", "reason": None},
]
PURPOSE = "training import elearn #12"


def _match(api, numbers, as_=ELEARN, purpose=PURPOSE):
    return api.post("/persons/match", as_=as_, json={"purpose": purpose, "national_ids": numbers})


def _audit(db):
    try:
        return [dict(r) for r in db.execute(select(personal_data_reads)).mappings()]
    finally:
        db.rollback()


def _assert_no_numbers(*texts):
    for text in texts:
        for number in [*NUMBER.values(), UNKNOWN, BAD]:
            assert number not in text.upper()
            assert number[1:] not in text  # not even the digits


def test_each_number_is_answered_in_order(api, demo, db, caplog):
    caplog.set_level(logging.DEBUG)
    response = _match(api, SENT)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == EXPECTED
    formatted = "\n".join(JsonFormatter("directory").format(r) for r in caplog.records)
    _assert_no_numbers(caplog.text, formatted, json.dumps(_audit(db), default=str))


def test_one_audit_row_per_call_with_counts_and_purpose(api, demo, db):
    _match(api, SENT)
    rows = _audit(db)
    assert len(rows) == 1
    row = rows[0]
    assert (row["reader"], row["subject_person_id"], row["resource"]) == (
        "importer.elearn",
        "*",
        "directory:persons:match",
    )
    assert row["fields"] == f"person_id;count=7;found=3;invalid=2;purpose={PURPOSE}"
    # The auditor sees it like any other read.
    auditor = principal("security_auditor", sub="auditor", agency_scope=["A01"])
    log = api.get("/audit/personal-data-reads", as_=auditor).json()["items"]
    assert [(r["reader"], r["resource"]) for r in log] == [
        ("importer.elearn", "directory:persons:match")
    ]


def test_an_unscoped_grant_reaches_every_agency(api, demo):
    everywhere = {**ELEARN, "permissions": ["directory:persons:match"]}
    results = _match(api, [NUMBER["P0008"], NUMBER["P0009"]], as_=everywhere).json()["results"]
    assert [r["person_id"] for r in results] == ["P0008", "P0009"]


def test_many_numbers_across_several_lookups(api, demo):
    # More than one IN list's worth, the known persons scattered among them.
    numbers = [national_id.with_check_digit(f"N1{i:07d}") for i in range(1500)]
    numbers[3] = NUMBER["P0001"]
    numbers[777] = NUMBER["P0002"]
    numbers[1499] = NUMBER["P0009"]  # T01: outside the caller's agencies
    results = _match(api, numbers).json()["results"]
    assert len(results) == 1500
    found = {r["index"]: r["person_id"] for r in results if r["status"] == "found"}
    assert found == {3: "P0001", 777: "P0002"}


def test_the_cap_is_accepted_and_one_more_is_a_problem(api, demo, db):
    numbers = [national_id.with_check_digit(f"Q2{i:07d}") for i in range(MAX_MATCHED_NATIONAL_IDS)]
    assert _match(api, numbers).status_code == 200
    response = _match(api, [*numbers, UNKNOWN])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["body.national_ids"]
    assert len(_audit(db)) == 1  # only the call that was answered


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": PURPOSE, "national_ids": []}, "body.national_ids"),
        ({"purpose": PURPOSE, "national_ids": ["x", NUMBER["P0001"] * 4]}, "body.national_ids.1"),
        ({"purpose": f"import {NUMBER['P0001']}", "national_ids": ["x"]}, "body.purpose"),
        ({"purpose": "import x123456789", "national_ids": ["x"]}, "body.purpose"),
        ({"purpose": "import\nnext line", "national_ids": ["x"]}, "body.purpose"),
        ({"purpose": "ok purpose\n", "national_ids": [1]}, "body.national_ids.0"),
        ({"national_ids": [NUMBER["P0001"]]}, "body.purpose"),
    ],
)
def test_a_malformed_request_names_the_field_and_echoes_nothing(api, demo, db, body, field):
    response = api.post("/persons/match", as_=ELEARN, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    _assert_no_numbers(response.text)
    assert _audit(db) == []


@pytest.mark.parametrize("caller", [HR_A01, EMPLOYEE, IMPORTER])
def test_the_permission_is_required(api, demo, db, caller):
    response = _match(api, [NUMBER["P0003"]], as_=caller)
    assert response.status_code == 403
    assert "directory:persons:match" in response.json()["detail"]
    assert _match(api, [NUMBER["P0003"]], as_=None).status_code == 401
    assert _audit(db) == []


def test_the_route_is_not_public(apps):
    document = apps["directory"].openapi()
    assert "/persons/match" not in document["paths"]
    assert not [template for _method, template in ROUTES if template.endswith("/persons/match")]
