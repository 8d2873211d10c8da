"""Review campaigns: every account listed, each confirmed or revoked on the
record, revoking disables, closing waits for the last decision."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.common.timeutil import now_utc
from services.directory.models import Account
from tests.directory.builders import create_account
from tests.directory.conftest import (
    ADMIN,
    AUDITOR,
    EMPLOYEE,
    HR_A01,
    REVIEWER,
    REVIEWER_A02,
)

OPEN = "/agencies/A01/account-reviews"
DEMO_A01 = [
    "admin",
    "auditor",
    "emp.a01",
    "gateway",
    "hr.a01",
    "importer.elearn",
    "reviewer.a01",
    "svc.attendance",
    "svc.certs",
    "svc.directory",
    "svc.speakers",
    "svc.training",
    "trainer.a01",
]


@pytest.fixture
def campaign(api, demo, db):
    # The reviewer's own account sits in the agency under review.
    create_account(db, "reviewer.a01", "P0006", "A01", roles=("account_reviewer",))
    account = db.get(Account, "emp.a01")
    account.last_used_at = now_utc() - timedelta(days=120)
    db.add(account)
    db.commit()
    response = api.post(OPEN, as_=REVIEWER, json={})
    assert response.status_code == 201, response.text
    return response.json()


def _decide(
    api, campaign_id, account, decision="confirm", reason="still needed", as_=REVIEWER, **extra
):
    return api.post(
        f"/account-reviews/{campaign_id}/items/{account}",
        as_=as_,
        json={"decision": decision, "reason": reason, **extra},
    )


def test_opening_lists_every_account_of_the_agency(campaign):
    assert campaign["status"] == "open" and campaign["opened_by"] == "reviewer.a01"
    assert campaign["agencies"] == ["A01"] and campaign["idle_days"] == 90
    assert [i["account"] for i in campaign["items"]] == DEMO_A01
    assert campaign["items_total"] == campaign["items_open"] == len(DEMO_A01)
    items = {i["account"]: i for i in campaign["items"]}
    assert items["emp.a01"]["findings"] == ["idle"]
    assert items["hr.a01"]["findings"] == [] and items["hr.a01"]["roles"] == ["hr_officer"]
    assert all(i["decision"] is None for i in campaign["items"])


def test_one_open_campaign_per_agency(api, campaign):
    assert api.post(OPEN, as_=REVIEWER, json={}).status_code == 409
    # Without a body the defaults apply; still the same conflict.
    assert api.post(OPEN, as_=REVIEWER).status_code == 409


def test_confirm_is_recorded_with_reviewer_reason_and_time(api, campaign):
    before = now_utc()
    response = _decide(api, campaign["id"], "emp.a01", reason="daily attendance user")
    assert response.status_code == 200, response.text
    item = response.json()
    assert item["decision"] == "confirm" and item["reason"] == "daily attendance user"
    assert item["decided_by"] == "reviewer.a01" and item["roles_removed"] == []
    assert before <= datetime.fromisoformat(item["decided_at"]) <= now_utc()
    assert api.get("/accounts/emp.a01", as_=ADMIN).json()["status"] == "active"
    again = _decide(api, campaign["id"], "emp.a01", "revoke", "changed my mind")
    assert again.status_code == 409
    shown = api.get(f"/account-reviews/{campaign['id']}", as_=AUDITOR).json()
    recorded = next(i for i in shown["items"] if i["account"] == "emp.a01")
    assert recorded == item and shown["items_open"] == len(DEMO_A01) - 1


def test_revoke_disables_and_may_remove_roles(api, campaign):
    kept = _decide(api, campaign["id"], "trainer.a01", "revoke", "moved to other duties").json()
    assert kept["decision"] == "revoke" and kept["roles_removed"] == []
    trainer = api.get("/accounts/trainer.a01", as_=ADMIN).json()
    assert trainer["status"] == "disabled" and trainer["roles"] == ["training_officer"]
    assert trainer["disabled_reason"] == f"revoked in account review {campaign['id']}"
    stripped = _decide(api, campaign["id"], "hr.a01", "revoke", "left HR", remove_roles=True)
    assert stripped.json()["roles_removed"] == ["hr_officer"]
    hr = api.get("/accounts/hr.a01", as_=ADMIN).json()
    assert hr["status"] == "disabled" and hr["roles"] == []


def test_decision_validation(api, campaign):
    cid = campaign["id"]
    assert _decide(api, cid, "emp.a01", reason="").status_code == 422
    assert _decide(api, cid, "emp.a01", reason="  ").status_code == 422
    assert _decide(api, cid, "emp.a01", "delete").status_code == 422
    assert _decide(api, cid, "emp.a01", remove_roles=True).status_code == 422
    missing_reason = api.post(
        f"/account-reviews/{cid}/items/emp.a01", as_=REVIEWER, json={"decision": "confirm"}
    )
    assert missing_reason.status_code == 422


def test_nobody_decides_on_their_own_account(api, campaign):
    assert _decide(api, campaign["id"], "reviewer.a01").status_code == 403


def test_close_refused_while_items_are_open_then_closes(api, campaign):
    cid = campaign["id"]
    refused = api.post(f"/account-reviews/{cid}/close", as_=REVIEWER)
    assert refused.status_code == 409 and "undecided" in refused.json()["detail"]
    for name in DEMO_A01:
        if name != "reviewer.a01":
            assert _decide(api, cid, name).status_code == 200
    assert api.post(f"/account-reviews/{cid}/close", as_=REVIEWER).status_code == 409
    # The reviewer's own account is decided by another reviewer.
    other = {**REVIEWER, "sub": "reviewer2.a01"}
    assert _decide(api, cid, "reviewer.a01", as_=other).status_code == 200
    closed = api.post(f"/account-reviews/{cid}/close", as_=REVIEWER)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["closed_by"] == "reviewer.a01"
    assert body["closed_at"] is not None and body["items_open"] == 0
    assert {i["decided_by"] for i in body["items"]} == {"reviewer.a01", "reviewer2.a01"}
    assert api.post(f"/account-reviews/{cid}/close", as_=REVIEWER).status_code == 409
    assert _decide(api, cid, "emp.a01").status_code == 409
    # Closed, so the next periodic review can open.
    assert api.post(OPEN, as_=REVIEWER, json={"idle_days": 30}).status_code == 201


def test_list_campaigns(api, campaign):
    listed = api.get("/account-reviews", as_=REVIEWER).json()["items"]
    assert [c["id"] for c in listed] == [campaign["id"]]
    assert listed[0]["items_total"] == len(DEMO_A01) and "items" not in listed[0]
    assert (
        api.get("/account-reviews", as_=REVIEWER, params={"status": "closed"}).json()["items"] == []
    )
    assert api.get("/account-reviews", as_=AUDITOR, params={"agency": "A01"}).json()["items"]
    assert api.get("/account-reviews", as_=REVIEWER_A02).json()["items"] == []


def test_subordinates_within_the_reviewers_reach(api, demo, db):
    create_account(db, "emp.a02", "P0007", "A02", roles=("employee",))
    body = api.post(OPEN, as_=REVIEWER, json={"include_subordinates": True}).json()
    assert body["agencies"] == ["A01", "A02", "A03", "T01"]
    assert "emp.a02" in [i["account"] for i in body["items"]]
    # A reviewer of A02 alone neither sees nor decides in A01's campaign.
    cid = body["id"]
    assert api.get(f"/account-reviews/{cid}", as_=REVIEWER_A02).status_code == 404
    assert _decide(api, cid, "emp.a02", as_=REVIEWER_A02).status_code == 404


def test_401_403_404(api, campaign):
    cid = campaign["id"]
    item = f"/account-reviews/{cid}/items/emp.a01"
    body = {"decision": "confirm", "reason": "ok"}
    calls = [
        ("get", "/account-reviews", None),
        ("get", f"/account-reviews/{cid}", None),
        ("post", OPEN, {}),
        ("post", item, body),
        ("post", f"/account-reviews/{cid}/close", None),
    ]
    for method, path, payload in calls:
        kwargs = {} if payload is None else {"json": payload}
        assert getattr(api, method)(path, **kwargs).status_code == 401, path
        for who in (ADMIN, EMPLOYEE, HR_A01):
            assert getattr(api, method)(path, as_=who, **kwargs).status_code == 403, path
    # The auditor reads reviews but makes none.
    assert api.get(f"/account-reviews/{cid}", as_=AUDITOR).status_code == 200
    assert api.post(OPEN, as_=AUDITOR, json={}).status_code == 403
    assert api.post(item, as_=AUDITOR, json=body).status_code == 403
    assert api.post(f"/account-reviews/{cid}/close", as_=AUDITOR).status_code == 403
    # Unknown or out of reach: 404 alike.
    assert api.get("/account-reviews/999999", as_=REVIEWER).status_code == 404
    assert api.get(f"/account-reviews/{cid}", as_=REVIEWER_A02).status_code == 404
    assert api.post("/agencies/ZZ9/account-reviews", as_=REVIEWER, json={}).status_code == 404
    assert api.post(OPEN, as_=REVIEWER_A02, json={}).status_code == 404
    assert _decide(api, 999999, "emp.a01").status_code == 404
    assert _decide(api, cid, "nobody").status_code == 404
    assert _decide(api, cid, "emp.a01", as_=REVIEWER_A02).status_code == 404
    assert api.post("/account-reviews/999999/close", as_=REVIEWER).status_code == 404
    assert api.post(f"/account-reviews/{cid}/close", as_=REVIEWER_A02).status_code == 404
