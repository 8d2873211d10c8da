"""Persons: self, unit and agency scopes; audited reads; HR writes."""

from __future__ import annotations

from sqlalchemy import func, select

from services.directory.domain import national_id
from services.directory.models import Person, personal_data_reads
from services.directory.settings import DEVELOPMENT_NATIONAL_ID_KEY
from tests.directory.builders import create_person
from tests.directory.conftest import (
    ADMIN,
    AUDITOR,
    EMPLOYEE,
    HR_A01,
    HR_A02,
    IMPORTER,
    SUPERVISOR,
    principal,
)

NEW_ID = "F131104093"


def _reads(db, subject=None):
    stmt = select(func.count()).select_from(personal_data_reads)
    if subject:
        stmt = stmt.where(personal_data_reads.c.subject_person_id == subject)
    try:
        return db.execute(stmt).scalar_one()
    finally:
        db.rollback()  # a fresh snapshot next time


def _ids(response):
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


def test_no_token_is_401(api, demo):
    assert api.get("/persons/P0003").status_code == 401


def test_employee_sees_only_themself(api, demo):
    assert _ids(api.get("/persons", as_=EMPLOYEE)) == ["P0003"]
    assert api.get("/persons/P0003", as_=EMPLOYEE).json()["national_id_masked"] == "D10****031"
    assert api.get("/persons/P0006", as_=EMPLOYEE).status_code == 404


def test_supervisor_sees_their_unit(api, demo):
    assert _ids(api.get("/persons", as_=SUPERVISOR)) == ["P0003", "P0005", "P0006"]
    assert api.get("/persons/P0005", as_=SUPERVISOR).status_code == 200
    assert api.get("/persons/P0001", as_=SUPERVISOR).status_code == 404


def test_hr_sees_the_agencies_in_scope(api, demo):
    assert _ids(api.get("/persons", as_=HR_A02)) == ["P0007"]
    assert len(_ids(api.get("/persons", as_=HR_A01))) == 9
    assert api.get("/persons/P0003", as_=HR_A02).status_code == 404


def test_list_filters(api, demo):
    assert _ids(api.get("/persons", as_=HR_A01, params={"agency": "A02"})) == ["P0007"]
    assert _ids(api.get("/persons", as_=HR_A01, params={"q": "美"})) == ["P0002"]
    assert _ids(api.get("/persons", as_=HR_A01, params={"q": "%"})) == []
    assert _ids(api.get("/persons", as_=HR_A01, params={"status": "left"})) == []
    unit = api.get("/persons/P0003", as_=HR_A01).json()["unit_id"]
    assert _ids(api.get("/persons", as_=HR_A01, params={"unit": unit})) == [
        "P0003",
        "P0005",
        "P0006",
    ]


def test_list_pages_with_a_keyset_cursor(api, demo):
    first = api.get("/persons", as_=HR_A01, params={"limit": 4}).json()
    second = api.get(
        "/persons", as_=HR_A01, params={"limit": 4, "cursor": first["next_cursor"]}
    ).json()
    third = api.get(
        "/persons", as_=HR_A01, params={"limit": 4, "cursor": second["next_cursor"]}
    ).json()
    ids = [p["id"] for page in (first, second, third) for p in page["items"]]
    assert ids == sorted(ids) and len(ids) == 9 and third["next_cursor"] is None


def test_system_admin_cannot_read_persons(api, demo):
    assert api.get("/persons", as_=ADMIN).status_code == 403
    assert api.get("/persons/P0001", as_=ADMIN).status_code == 403
    assert api.get("/persons", as_=AUDITOR).status_code == 403
    assert api.get("/persons", as_=IMPORTER).status_code == 403


def test_missing_person_is_404(api, demo):
    assert api.get("/persons/NOPE", as_=HR_A01).status_code == 404


def test_reading_another_persons_record_is_audited_once(api, demo, db):
    assert _reads(db) == 0
    assert api.get("/persons/P0003", as_=HR_A01).status_code == 200
    assert _reads(db) == 1
    row = db.execute(select(personal_data_reads)).mappings().one()
    db.rollback()
    assert (row["reader"], row["reader_person_id"], row["subject_person_id"]) == (
        "hr.a01",
        "P0002",
        "P0003",
    )
    assert "national_id_masked" in row["fields"]


def test_reading_ones_own_record_is_not_audited(api, demo, db):
    api.get("/persons/P0003", as_=EMPLOYEE)
    api.get("/persons", as_=EMPLOYEE)
    assert _reads(db) == 0


def test_listing_audits_each_other_person_listed(api, demo, db):
    api.get("/persons", as_=SUPERVISOR)
    assert _reads(db) == 2 and _reads(db, "P0006") == 0


def test_failed_reads_are_not_audited(api, demo, db):
    api.get("/persons/P0003", as_=HR_A02)
    assert _reads(db) == 0


def test_auditor_sees_the_read_log(api, demo):
    api.get("/persons/P0003", as_=HR_A01)
    log = api.get("/audit/personal-data-reads", as_=AUDITOR).json()["items"]
    assert [(r["reader"], r["subject_person_id"]) for r in log] == [("hr.a01", "P0003")]


def _new(**fields):
    return {"id": "P0100", "name": "新進人員", "agency_code": "A02", **fields}


def test_hr_creates_a_person_and_the_national_id_is_kept_only_hashed(api, demo, db):
    response = api.post(
        "/persons", as_=HR_A01, json=_new(national_id=NEW_ID.lower(), email="new@example.gov.tw")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["national_id_masked"] == "F13****093" and body["source"] == "api:hr.a01"
    assert NEW_ID not in response.text
    stored = db.get(Person, "P0100")
    assert stored.national_id_hmac == national_id.keyed_hash(NEW_ID, DEVELOPMENT_NATIONAL_ID_KEY)
    assert NEW_ID not in repr(stored.model_dump())


def test_create_refuses_bad_national_id_without_echoing_it(api, demo):
    response = api.post("/persons", as_=HR_A01, json=_new(national_id="F131104094"))
    assert response.status_code == 422
    assert "F131104094" not in response.text
    error = response.json()["errors"][0]
    assert error["field"] == "body.national_id" and "checksum" in error["reason"]


def test_create_refuses_a_national_id_held_by_someone_else(api, demo, db):
    create_person(db, "P0200", "A01", number=NEW_ID)
    response = api.post("/persons", as_=HR_A01, json=_new(national_id=NEW_ID))
    assert response.status_code == 409 and NEW_ID not in response.text


def test_create_conflicts_and_validation(api, demo):
    assert api.post("/persons", as_=HR_A01, json=_new(id="P0003")).status_code == 409
    unknown = api.post(
        "/persons",
        as_=ADMIN | {"permissions": ["directory:persons:write"]},
        json=_new(agency_code="ZZ1"),
    )
    assert unknown.status_code == 422
    foreign_unit = api.get("/persons/P0003", as_=HR_A01).json()["unit_id"]
    bad_unit = api.post("/persons", as_=HR_A01, json=_new(unit_id=foreign_unit))
    assert bad_unit.status_code == 422 and bad_unit.json()["errors"][0]["field"] == "body.unit_id"
    bad_boss = api.post("/persons", as_=HR_A01, json=_new(supervisor_id="NOPE"))
    assert bad_boss.status_code == 422
    assert api.post("/persons", as_=HR_A01, json=_new(email="not-an-email")).status_code == 422


def test_create_outside_scope_or_without_role(api, demo):
    assert api.post("/persons", as_=HR_A02, json=_new(agency_code="A01")).status_code == 404
    assert api.post("/persons", as_=EMPLOYEE, json=_new()).status_code == 403
    assert api.post("/persons", as_=ADMIN, json=_new()).status_code == 403


def test_update_a_person(api, demo):
    response = api.patch(
        "/persons/P0007", as_=HR_A02, json={"status": "left", "phone": "02-2345-6789"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "left" and body["status_changed_on"] is not None
    assert body["phone"] == "02-2345-6789"
    cleared = api.patch("/persons/P0007", as_=HR_A02, json={"phone": None}).json()
    assert cleared["phone"] is None and cleared["status"] == "left"


def test_moving_a_person_needs_both_agencies_in_scope(api, demo):
    assert api.patch("/persons/P0007", as_=HR_A02, json={"agency_code": "A01"}).status_code == 404
    moved = api.patch("/persons/P0007", as_=HR_A01, json={"agency_code": "A03"})
    assert moved.status_code == 200 and moved.json()["unit_id"] is None


def test_update_national_id(api, demo):
    body = api.patch("/persons/P0007", as_=HR_A02, json={"national_id": NEW_ID}).json()
    assert body["national_id_masked"] == "F13****093"
    taken = api.patch("/persons/P0008", as_=HR_A01, json={"national_id": NEW_ID})
    assert taken.status_code == 409
    assert (
        api.patch("/persons/P0007", as_=HR_A02, json={"national_id": None}).json()[
            "national_id_masked"
        ]
        is None
    )


def test_update_other_agency_missing_wrong_role(api, demo):
    assert api.patch("/persons/P0003", as_=HR_A02, json={"name": "x"}).status_code == 404
    assert api.patch("/persons/NOPE", as_=HR_A01, json={"name": "x"}).status_code == 404
    assert api.patch("/persons/P0003", as_=EMPLOYEE, json={"name": "x"}).status_code == 403
    assert api.patch("/persons/P0003", as_=HR_A01, json={"name": None}).status_code == 422
    reader_only = principal("training_officer", sub="t", agency_scope=["A01"])
    assert api.patch("/persons/P0003", as_=reader_only, json={"name": "x"}).status_code == 403
