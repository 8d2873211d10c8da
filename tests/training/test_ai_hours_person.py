"""What the certs service reads of one person: the feed names each person's
agency and unit from the roster, and the service-only single-person read
(`GET /ai-hours/persons/{id}?year=`) answers one person's year."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services.common.transactions import batch_transaction
from services.training.models import AiHours, RosterPerson, personal_data_reads
from tests.training.conftest import HR_A01

CERTS = {"sub": "svc.certs", "kind": "service", "permissions": ["training:ai_hours:read"]}
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def seeded(apps):
    engine = apps["training"].state.engine
    with batch_transaction(engine) as session:
        session.add(
            AiHours(person_id="P001", year=2026, basic_centi=300, advanced_centi=150, changed_at=AT)
        )
        session.add(
            AiHours(person_id="P001", year=2025, basic_centi=100, advanced_centi=0, changed_at=AT)
        )
        session.add(
            AiHours(person_id="P002", year=2026, basic_centi=600, advanced_centi=0, changed_at=AT)
        )
        session.add(RosterPerson(person_id="P001", agency_code="A01", unit_id="11"))
        session.add(RosterPerson(person_id="P003", agency_code="B01", unit_id=""))
    return engine


def test_the_feed_names_the_rosters_agency_and_unit(call, seeded):
    response = call("GET", "/ai-hours", CERTS, params={"limit": 10})
    assert response.status_code == 200, response.text
    items = {(i["person_id"], i["year"]): i for i in response.json()["items"]}
    assert (items[("P001", 2026)]["agency_code"], items[("P001", 2026)]["unit_id"]) == ("A01", "11")
    assert items[("P001", 2025)]["agency_code"] == "A01"
    # Not on the roster: said as such, not guessed.
    assert (items[("P002", 2026)]["agency_code"], items[("P002", 2026)]["unit_id"]) == (None, None)


def test_one_persons_year_is_read_with_its_place_and_logged(call, seeded):
    response = call("GET", "/ai-hours/persons/P001", CERTS, params={"year": 2026})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ai_hours"] == "4.50" and body["ai_basic_hours"] == "3.00"
    assert body["ai_advanced_hours"] == "1.50"
    assert body["agency_code"] == "A01" and body["unit_id"] == "11"
    assert datetime.fromisoformat(body["changed_at"]) == AT
    with Session(seeded) as session:
        readers = session.execute(
            select(personal_data_reads.c.reader, personal_data_reads.c.subject_person_id)
        ).all()
    assert ("svc.certs", "P001") in [tuple(r) for r in readers]


def test_a_year_without_records_is_zeros_with_no_change_moment(call, seeded):
    body = call("GET", "/ai-hours/persons/P003", CERTS, params={"year": 2026}).json()
    assert body["ai_hours"] == "0.00" and body["changed_at"] is None
    assert body["agency_code"] == "B01"
    unknown = call("GET", "/ai-hours/persons/P999", CERTS, params={"year": 2024}).json()
    assert unknown["ai_hours"] == "0.00" and unknown["agency_code"] is None


@pytest.mark.parametrize(
    "principal, status",
    [
        (None, 401),
        (HR_A01, 403),
        ({**CERTS, "kind": "human"}, 403),
        ({**CERTS, "sub": "svc.training"}, 403),
        ({**CERTS, "permissions": []}, 403),
    ],
    ids=["anonymous", "hr-officer", "human-named-svc-certs", "another-service", "no-grant"],
)
def test_only_the_certs_service_reads_one_person(call, seeded, principal, status):
    response = call("GET", "/ai-hours/persons/P001", principal, params={"year": 2026})
    assert response.status_code == status, response.text
    assert "4.50" not in response.text


@pytest.mark.parametrize("params", [{}, {"year": "x"}, {"year": 1900}])
def test_a_missing_or_bad_year_is_named(call, seeded, params):
    response = call("GET", "/ai-hours/persons/P001", CERTS, params=params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.year"]


ROSTER_WRITER = {"sub": "root", "permissions": ["training:records:write"]}
AFTER_SEED = "2026-12-01T10:00:00+00:00"


def changed_since_seed(call) -> dict[tuple[str, int], dict]:
    response = call("GET", "/ai-hours", CERTS, params={"limit": 100, "changed_since": AFTER_SEED})
    assert response.status_code == 200, response.text
    return {(i["person_id"], i["year"]): i for i in response.json()["items"]}


def push(call, agency: str, staff: dict[str, str]) -> None:
    body = {"persons": [{"person_id": p, "unit_id": u} for p, u in staff.items()]}
    response = call("PUT", f"/roster/agencies/{agency}", ROSTER_WRITER, json=body)
    assert response.status_code == 200, response.text


def test_a_roster_move_is_pulled_with_the_new_place_though_no_hours_changed(call, seeded):
    assert changed_since_seed(call) == {}
    # P001 transfers from A01 to B01; P003 stays where the roster had them (and
    # has no AI hours: nothing to stamp).
    push(call, "B01", {"P001": "21", "P003": ""})
    moved = changed_since_seed(call)
    assert sorted(moved) == [("P001", 2025), ("P001", 2026)]
    assert {(i["agency_code"], i["unit_id"]) for i in moved.values()} == {("B01", "21")}
    # The figures are as they were: only the stamp moved.
    assert moved[("P001", 2026)]["ai_hours"] == "4.50"
    assert all(datetime.fromisoformat(i["changed_at"]) > AT for i in moved.values())


def test_a_unit_move_is_pulled_and_an_unchanged_roster_moves_no_stamp(call, seeded):
    push(call, "A01", {"P001": "11"})
    assert changed_since_seed(call) == {}
    push(call, "A01", {"P001": "12"})
    moved = changed_since_seed(call)
    assert sorted(moved) == [("P001", 2025), ("P001", 2026)]
    assert moved[("P001", 2026)]["unit_id"] == "12"
    # P002 had AI hours but no roster place (the feed said none): entering the
    # roster is a change of place too.
    push(call, "A01", {"P001": "12", "P002": "13"})
    now = changed_since_seed(call)
    assert sorted(now) == [("P001", 2025), ("P001", 2026), ("P002", 2026)]
    assert (now[("P002", 2026)]["agency_code"], now[("P002", 2026)]["unit_id"]) == ("A01", "13")
