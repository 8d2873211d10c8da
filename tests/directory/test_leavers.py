"""Accounts of persons who left or died are disabled automatically: with the
status change (PATCH or import, in the same transaction) and by a sweep job
that finds any that slipped through. Machine accounts whose owner is gone are
flagged, and come back into service when a new owner is named."""

from __future__ import annotations

from sqlalchemy import select

from services.directory import jobs
from services.directory.models import Account
from services.directory.store.accounts import HOLDER_GONE_REASON
from tests.directory.builders import create_account, create_person
from tests.directory.conftest import ADMIN, GATEWAY, HR_A01, IMPORTER, REVIEWER


def _account(db, name):
    account = db.execute(select(Account).where(Account.name == name)).scalar_one()
    db.rollback()
    return account


def _import(api, body, *, dry_run=False):
    return api.post(
        "/persons/import",
        as_=IMPORTER,
        params={"format": "csv", "dry_run": dry_run},
        content=body,
        headers={"Content-Type": "text/csv"},
    )


def _run_job(apps):
    return jobs.disable_leavers(settings=apps["directory"].state.settings)


def test_patch_to_left_disables_the_holders_accounts(api, demo, db):
    create_account(db, "emp2.a01", "P0003", "A01", roles=("employee",))
    response = api.patch("/persons/P0003", as_=HR_A01, json={"status": "left"})
    assert response.status_code == 200, response.text
    for name in ("emp.a01", "emp2.a01"):
        account = _account(db, name)
        assert account.status == "disabled" and account.disabled_at is not None
        assert account.disabled_reason == HOLDER_GONE_REASON
    # The gateway, asking again, is told the account is disabled.
    assert api.get("/principals/emp.a01", as_=GATEWAY).json()["status"] == "disabled"
    # Nothing else was touched.
    assert _account(db, "hr.a01").status == "active"


def test_death_is_not_disclosed_to_the_account_administrator(api, demo, db):
    api.patch("/persons/P0003", as_=HR_A01, json={"status": "deceased"})
    shown = api.get("/accounts/emp.a01", as_=ADMIN).json()
    assert shown["status"] == "disabled" and shown["disabled_reason"] == HOLDER_GONE_REASON
    assert "deceased" not in str(shown)


def test_a_refused_patch_disables_nothing(api, demo, db):
    response = api.patch("/persons/P0003", as_=HR_A01, json={"status": "left", "unit_id": 99999})
    assert response.status_code == 422
    assert _account(db, "emp.a01").status == "active"


def test_returning_to_service_does_not_re_enable(api, demo, db):
    api.patch("/persons/P0003", as_=HR_A01, json={"status": "left"})
    api.patch("/persons/P0003", as_=HR_A01, json={"status": "active"})
    # Enabling again is a deliberate act of the account administrator.
    assert _account(db, "emp.a01").status == "disabled"
    assert api.post("/accounts/emp.a01/enable", as_=ADMIN).json()["disabled_reason"] is None


def test_import_disables_in_the_same_batch(api, demo, db):
    body = "id,name,agency_code,status\nP0003,王小華,A01,deceased\nP0007,吳俊傑,A02,active\n"
    dry = _import(api, body, dry_run=True).json()
    assert dry["accounts_disabled"] == 1 and dry["updated"] == 1
    assert _account(db, "emp.a01").status == "active"
    report = _import(api, body).json()
    assert report["updated"] == 1 and report["accounts_disabled"] == 1
    account = _account(db, "emp.a01")
    assert account.status == "disabled" and account.disabled_reason == HOLDER_GONE_REASON
    again = _import(api, body).json()
    assert again["unchanged"] == 2 and again["accounts_disabled"] == 0


def test_machine_account_whose_owner_left_is_flagged_not_disabled(api, demo, db):
    # P0002 holds hr.a01 and answers for importer.elearn.
    api.patch("/persons/P0002", as_=HR_A01, json={"status": "left"})
    assert _account(db, "hr.a01").status == "disabled"
    assert _account(db, "importer.elearn").status == "active"
    # The gateway refuses it (owner not in service) ...
    resolved = api.get("/principals/importer.elearn", as_=GATEWAY).json()
    assert resolved["person_status"] == "left"
    # ... the review reports it ...
    report = api.get("/agencies/A01/account-review", as_=REVIEWER).json()
    assert [e["name"] for e in report["machine_without_owner"]] == ["importer.elearn"]
    # ... and naming a new owner in service brings it back.
    moved = api.patch("/accounts/importer.elearn", as_=ADMIN, json={"person_id": "P0006"})
    assert moved.status_code == 200, moved.text
    assert api.get("/principals/importer.elearn", as_=GATEWAY).json()["person_status"] == "active"
    report = api.get("/agencies/A01/account-review", as_=REVIEWER).json()
    assert report["machine_without_owner"] == []


def test_owner_changes_are_for_machine_accounts_and_living_owners(api, demo, db):
    human = api.patch("/accounts/emp.a01", as_=ADMIN, json={"person_id": "P0006"})
    assert human.status_code == 422 and human.json()["errors"][0]["code"] == "human_holder"
    same = api.patch("/accounts/emp.a01", as_=ADMIN, json={"person_id": "P0003"})
    assert same.status_code == 200
    create_person(db, "P0100", "A01", status="left")
    for owner in ("P0100", "NOPE"):
        refused = api.patch("/accounts/importer.elearn", as_=ADMIN, json={"person_id": owner})
        assert refused.status_code == 422, owner
    cleared = api.patch("/accounts/importer.elearn", as_=ADMIN, json={"person_id": None})
    assert cleared.status_code == 422


def test_job_sweeps_what_slipped_through_and_is_idempotent(api, demo, db, apps):
    create_person(db, "P0100", "A01", status="left")
    create_person(db, "P0101", "A02", status="deceased")
    create_account(db, "gone1", "P0100", "A01", roles=("employee",))
    create_account(db, "gone2", "P0101", "A02", roles=("employee",))
    create_account(
        db, "bot", "P0100", "A01", kind="machine", roles=("importer",), networks=("10.0.0.0/8",)
    )
    first = _run_job(apps)
    assert first == {"job": "disable-leavers", "disabled": 2, "machine_accounts_without_owner": 1}
    disabled_at = {n: _account(db, n).disabled_at for n in ("gone1", "gone2")}
    assert all(disabled_at.values())
    assert _account(db, "bot").status == "active"
    assert _account(db, "emp.a01").status == "active"
    second = _run_job(apps)
    assert second == {"job": "disable-leavers", "disabled": 0, "machine_accounts_without_owner": 1}
    assert {n: _account(db, n).disabled_at for n in ("gone1", "gone2")} == disabled_at


def test_job_is_registered():
    assert set(jobs.JOBS) == {"disable-leavers"}
    assert jobs.JOBS["disable-leavers"] is jobs.disable_leavers
