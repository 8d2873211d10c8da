"""The account review report: each finding on accounts with controlled
timestamps, scope, the idle threshold, and who may ask."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.common.timeutil import now_utc
from services.directory.models import Account, personal_data_reads
from services.directory.settings import DirectorySettings
from tests.directory.builders import create_account, create_person
from tests.directory.conftest import (
    ADMIN,
    AUDITOR,
    EMPLOYEE,
    HR_A01,
    REVIEWER,
    REVIEWER_A02,
)

REPORT = "/agencies/A01/account-review"


def _set_times(db, name, *, created_days=None, used_days=None, networks=None):
    now = now_utc()
    account = db.get(Account, name)
    if created_days is not None:
        account.created_at = now - timedelta(days=created_days)
    if used_days is not None:
        account.last_used_at = now - timedelta(days=used_days)
    if networks is not None:
        account.allowed_networks = networks
    db.add(account)
    db.commit()


@pytest.fixture
def scene(demo, db):
    """The demo accounts of A01, aged; plus accounts of people who are gone."""
    _set_times(db, "emp.a01", created_days=300, used_days=100)  # idle
    _set_times(db, "hr.a01", created_days=200)  # never used, created long ago: idle
    _set_times(db, "trainer.a01", created_days=300, used_days=10)
    _set_times(db, "auditor", created_days=10)  # never used, but new
    _set_times(db, "admin", created_days=300, used_days=80)  # idle only below 80 days
    _set_times(db, "importer.elearn", used_days=0, networks=[])
    _set_times(db, "gateway", used_days=0)
    create_person(db, "P0100", "A01", status="left")
    create_account(
        db,
        "sync.a01",
        "P0100",
        "A01",
        kind="machine",
        roles=("importer",),
        networks=("10.1.0.0/16",),
    )
    _set_times(db, "sync.a01", used_days=0)
    create_person(db, "P0101", "A01", status="deceased")
    create_account(db, "gone.a01", "P0101", "A01", roles=("employee",))
    create_account(db, "left.a01", "P0101", "A01", roles=("employee",), status="disabled")
    _set_times(db, "gone.a01", used_days=1)
    _set_times(db, "left.a01", created_days=500, used_days=400)
    create_person(db, "P0102", "A02")
    create_account(db, "emp.a02", "P0102", "A02", roles=("employee",))
    _set_times(db, "emp.a02", created_days=300, used_days=200)
    return db


def _names(entries):
    return [e["name"] for e in entries]


def test_report_lists_each_finding(api, scene):
    response = api.get(REPORT, as_=REVIEWER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agency_code"] == "A01" and body["agencies"] == ["A01"]
    assert body["idle_days"] == 90 and body["accounts"] == 10
    assert _names(body["idle"]) == ["emp.a01", "hr.a01"]
    emp = body["idle"][0]
    assert emp["idle_days"] == 100 and emp["roles"] == ["employee"] and emp["findings"] == ["idle"]
    assert body["idle"][1]["last_used_at"] is None and body["idle"][1]["idle_days"] == 200
    assert _names(body["machine_without_owner"]) == ["sync.a01"]
    assert body["machine_without_owner"][0]["person_in_service"] is False
    assert _names(body["machine_without_allow_list"]) == ["importer.elearn"]
    assert body["roles_of_idle_accounts"] == [
        {"role": "employee", "accounts": ["emp.a01"]},
        {"role": "hr_officer", "accounts": ["hr.a01"]},
    ]
    # Active or not: whether these accounts should still exist is for the reviewer.
    assert _names(body["holders_left"]) == ["gone.a01", "left.a01"]
    assert [e["status"] for e in body["holders_left"]] == ["active", "disabled"]
    assert "roles held by accounts idle" in _description(api, "roles_of_idle_accounts")


def _description(api, field):
    schema = api.client.app.openapi()["components"]["schemas"]["AccountReviewReport"]
    return schema["properties"][field]["description"]


def test_the_reason_a_holder_is_gone_is_not_disclosed(api, scene):
    body = api.get(REPORT, as_=REVIEWER).json()
    for entry in body["holders_left"]:
        assert "person_status" not in entry and "status_changed_on" not in entry
        assert entry["person_in_service"] is False


def test_reading_who_is_gone_is_audited(api, scene, db):
    api.get(REPORT, as_=REVIEWER)
    rows = db.execute(
        select(
            personal_data_reads.c.subject_person_id,
            personal_data_reads.c.reader,
            personal_data_reads.c.resource,
        )
    ).all()
    db.rollback()
    assert sorted(rows) == [
        ("P0100", "reviewer.a01", "directory:account-reviews"),
        ("P0101", "reviewer.a01", "directory:account-reviews"),
    ]


def test_idle_threshold_from_the_query(api, scene):
    body = api.get(REPORT, as_=REVIEWER, params={"idle_days": 60}).json()
    assert body["idle_days"] == 60
    assert _names(body["idle"]) == ["admin", "emp.a01", "hr.a01"]
    strict = api.get(REPORT, as_=REVIEWER, params={"idle_days": 150}).json()
    assert _names(strict["idle"]) == ["hr.a01"]
    assert api.get(REPORT, as_=REVIEWER, params={"idle_days": 0}).status_code == 422


def test_idle_threshold_from_the_settings(api, scene, apps, monkeypatch):
    monkeypatch.setattr(apps["directory"].state.settings, "review_idle_days", 60)
    assert _names(api.get(REPORT, as_=REVIEWER).json()["idle"]) == ["admin", "emp.a01", "hr.a01"]


def test_setting_comes_from_the_environment(monkeypatch):
    assert DirectorySettings(database_url="sqlite://").review_idle_days == 90
    monkeypatch.setenv("DIRECTORY_REVIEW_IDLE_DAYS", "45")
    assert DirectorySettings(database_url="sqlite://").review_idle_days == 45


def test_subordinates_on_request_and_within_reach(api, scene):
    body = api.get(REPORT, as_=REVIEWER, params={"include_subordinates": True}).json()
    assert body["agencies"] == ["A01", "A02", "A03", "T01"]
    assert "emp.a02" in _names(body["idle"])
    narrow = api.get("/agencies/A02/account-review", as_=REVIEWER_A02).json()
    assert narrow["agencies"] == ["A02"] and _names(narrow["idle"]) == ["emp.a02"]


def test_auditor_reads_every_agency(api, scene):
    assert api.get(REPORT, as_=AUDITOR).status_code == 200
    assert api.get("/agencies/A02/account-review", as_=AUDITOR).status_code == 200


def test_report_401_403_404(api, scene):
    assert api.get(REPORT).status_code == 401
    # Separation of duties: the administrator who grants accounts does not review them.
    for who in (ADMIN, EMPLOYEE, HR_A01):
        assert api.get(REPORT, as_=who).status_code == 403
    assert api.get("/agencies/ZZ9/account-review", as_=REVIEWER).status_code == 404
    assert api.get(REPORT, as_=REVIEWER_A02).status_code == 404
