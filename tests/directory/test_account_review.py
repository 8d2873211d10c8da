"""The account review report: each finding on accounts with controlled
timestamps, roles unused as the gateway reported their use, scope, the idle
threshold, and who may ask."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from services.common.timeutil import now_utc, today_taipei
from services.directory.models import Account, AccountRole, personal_data_reads
from services.directory.settings import DirectorySettings
from tests.directory.builders import create_account, create_person
from tests.directory.conftest import (
    ADMIN,
    AUDITOR,
    EMPLOYEE,
    GATEWAY,
    HR_A01,
    REVIEWER,
    REVIEWER_A02,
)

REPORT = "/agencies/A01/account-review"


def _days_ago(days):
    return (today_taipei() - timedelta(days=days)).isoformat()


def _grant_days_ago(db, days, *accounts, role=None):
    stmt = update(AccountRole).where(col(AccountRole.account).in_(accounts))
    if role is not None:
        stmt = stmt.where(AccountRole.role == role)
    db.execute(stmt.values(granted_on=today_taipei() - timedelta(days=days)))
    db.commit()


def _report_use(api, *uses):
    """As the gateway does: (account, permission family, days ago)."""
    entries = [{"account": a, "permission": p, "used_on": _days_ago(d)} for a, p, d in uses]
    response = api.post("/principals/usage", as_=GATEWAY, json={"entries": entries})
    assert response.status_code == 200, response.text


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
def scene(api, demo, db):
    """The demo accounts of A01, aged, their roles granted 300 days ago (the
    auditor's today) and used as reported; plus accounts of people who are gone."""
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
    # The trainer also lectures, but has not touched the lecturer profile.
    db.add(AccountRole(account="trainer.a01", role="lecturer"))
    db.commit()
    _grant_days_ago(
        db,
        300,
        "admin",
        "emp.a01",
        "hr.a01",
        "trainer.a01",
        "importer.elearn",
        "gateway",
        "left.a01",
        "emp.a02",
    )
    _report_use(
        api,
        ("emp.a01", "training:records:read", 100),  # employee holds …:read:self
        ("trainer.a01", "training:records:read", 10),
        ("trainer.a01", "speakers:search", 3),
        ("admin", "directory:accounts:read", 80),
        # importer_elearn holds training:imports:elearn; `importer` is not used.
        ("importer.elearn", "training:imports", 0),
        ("left.a01", "training:records:read", 400),
        ("nobody", "training:records:read", 0),  # unknown: ignored
    )
    return db


def _names(entries):
    return [e["name"] for e in entries]


def test_report_lists_each_finding(api, scene):
    response = api.get(REPORT, as_=REVIEWER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agency_code"] == "A01" and body["agencies"] == ["A01"]
    # The demo's ten accounts of A01 and the five services' own (new, in use).
    assert body["idle_days"] == 90 and body["accounts"] == 15
    assert _names(body["idle"]) == ["emp.a01", "hr.a01"]
    emp = body["idle"][0]
    assert emp["idle_days"] == 100 and emp["roles"] == ["employee"] and emp["findings"] == ["idle"]
    assert body["idle"][1]["last_used_at"] is None and body["idle"][1]["idle_days"] == 200
    assert _names(body["machine_without_owner"]) == ["sync.a01"]
    assert body["machine_without_owner"][0]["person_in_service"] is False
    assert _names(body["machine_without_allow_list"]) == ["importer.elearn"]
    granted = _days_ago(300)
    # Role by role: the importer is in daily use, one of its roles is not; the
    # gateway's own role counts as used when it reports; the auditor's role is new;
    # the disabled account and A02's are not examined here.
    assert body["unused_roles"] == [
        {
            "role": "employee",
            "accounts": [
                {"account": "emp.a01", "granted_on": granted, "last_used_on": _days_ago(100)}
            ],
        },
        {
            "role": "hr_officer",
            "accounts": [{"account": "hr.a01", "granted_on": granted, "last_used_on": None}],
        },
        {
            "role": "importer",
            "accounts": [
                {"account": "importer.elearn", "granted_on": granted, "last_used_on": None}
            ],
        },
        {
            "role": "lecturer",
            "accounts": [{"account": "trainer.a01", "granted_on": granted, "last_used_on": None}],
        },
    ]
    # Active or not: whether these accounts should still exist is for the reviewer.
    assert _names(body["holders_left"]) == ["gone.a01", "left.a01"]
    assert [e["status"] for e in body["holders_left"]] == ["active", "disabled"]
    assert "granted more than idle_days ago" in _description(api, "unused_roles")


def _unused(body):
    return {r["role"]: [a["account"] for a in r["accounts"]] for r in body["unused_roles"]}


def test_unused_roles_follow_the_threshold(api, scene):
    loose = api.get(REPORT, as_=REVIEWER, params={"idle_days": 60}).json()
    assert _unused(loose) == {
        "employee": ["emp.a01"],
        "hr_officer": ["hr.a01"],
        "importer": ["importer.elearn"],
        "lecturer": ["trainer.a01"],
        "system_admin": ["admin"],  # last used 80 days ago
    }
    # Used exactly 100 days ago: in use at 100, unused at 99.
    assert "employee" not in _unused_at(api, 100)
    assert "employee" in _unused_at(api, 99)
    # Granted 300 days ago: not yet unused at 300 days, whatever its use.
    assert _unused_at(api, 300) == {}


def _unused_at(api, days):
    return _unused(api.get(REPORT, as_=REVIEWER, params={"idle_days": days}).json())


def test_a_role_granted_recently_is_not_unused(api, scene, db):
    # PUT keeps the roles the account already holds (and their grant day), and
    # grants the new one today.
    response = api.put(
        "/accounts/hr.a01/roles", as_=ADMIN, json={"roles": ["hr_officer", "unit_supervisor"]}
    )
    assert response.status_code == 200, response.text
    unused = _unused(api.get(REPORT, as_=REVIEWER).json())
    assert unused["hr_officer"] == ["hr.a01"] and "unit_supervisor" not in unused
    # Taken away and granted again: a new grant, with no record of use.
    api.put("/accounts/emp.a01/roles", as_=ADMIN, json={"roles": []})
    api.put("/accounts/emp.a01/roles", as_=ADMIN, json={"roles": ["employee"]})
    assert "employee" not in _unused(api.get(REPORT, as_=REVIEWER).json())


def test_a_reported_use_clears_the_role(api, scene):
    _report_use(api, ("hr.a01", "attendance:settlement:read", 1))
    assert "hr_officer" not in _unused(api.get(REPORT, as_=REVIEWER).json())


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
