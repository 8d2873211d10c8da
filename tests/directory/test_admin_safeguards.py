"""Nobody locks the system out of its own administration: an account cannot be
disabled by its own holder, and the last active system administrator can be
neither disabled nor stripped of the role (only a system administrator can
re-enable accounts)."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import col, select

from services.directory.domain.account_rules import disable_errors, role_change_errors
from services.directory.models import Account, AccountRole
from tests.directory.builders import create_account, create_person
from tests.directory.conftest import ADMIN, REVIEWER, principal

# An account administrator of A01 who is not a system administrator: the rule
# is about who is left, not about who asks.
HELPDESK = principal(
    sub="helpdesk",
    person_id="P0005",
    agency_code="A01",
    agency_scope=["A01"],
    roles=["helpdesk"],
    permissions=["directory:accounts:read:agency", "directory:accounts:write:agency"],
)
ADMIN2 = principal(
    "system_admin",
    sub="admin2",
    person_id="P0010",
    agency_code="A01",
    agency_scope=["A01", "A02", "A03", "T01"],
)


def _second_admin(db, *, holder_status: str = "active") -> None:
    create_person(db, "P0010", "A01", status=holder_status)
    create_account(db, "admin2", "P0010", "A01", roles=("system_admin",))


def _refused(response, code: str) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert [e["code"] for e in body["errors"]] == [code]
    assert body["type"].endswith("/account-rule")


def _status(db, name: str) -> str:
    db.expire_all()
    account = db.get(Account, name)
    assert account is not None
    return account.status


def _roles(db, name: str) -> list[str]:
    db.expire_all()
    return sorted(db.exec(select(AccountRole.role).where(AccountRole.account == name)).all())


def test_an_administrator_cannot_disable_their_own_account(api, demo, db):
    _second_admin(db)  # so that only the own-account rule applies
    response = api.post("/accounts/admin/disable", as_=ADMIN)
    _refused(response, "own_account")
    assert "own account" in response.json()["errors"][0]["reason"]
    assert _status(db, "admin") == "active"


def test_the_last_system_administrator_cannot_be_disabled(api, demo, db):
    response = api.post("/accounts/admin/disable", as_=HELPDESK)
    _refused(response, "last_system_admin")
    assert _status(db, "admin") == "active"


def test_the_last_system_administrator_keeps_the_role(api, demo, db):
    for who in (ADMIN, HELPDESK):
        response = api.put("/accounts/admin/roles", as_=who, json={"roles": []})
        _refused(response, "last_system_admin")
        assert response.json()["errors"][0]["field"] == "body.roles"
    assert _roles(db, "admin") == ["system_admin"]


def test_another_administrator_can_be_disabled_while_one_remains(api, demo, db):
    _second_admin(db)
    response = api.post("/accounts/admin2/disable", as_=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "disabled"
    # Now admin is the last one: admin2 (were its token still good) could not
    # disable it, and neither can anyone else.
    _refused(api.post("/accounts/admin/disable", as_=ADMIN2), "last_system_admin")
    # Re-enabled, admin2 counts again.
    assert api.post("/accounts/admin2/enable", as_=ADMIN).status_code == 200
    assert api.post("/accounts/admin/disable", as_=ADMIN2).status_code == 200


def test_the_role_can_leave_one_of_two_administrators(api, demo, db):
    _second_admin(db)
    response = api.put("/accounts/admin2/roles", as_=ADMIN, json={"roles": []})
    assert response.status_code == 200, response.text
    assert _roles(db, "admin2") == []
    _refused(api.put("/accounts/admin/roles", as_=ADMIN, json={"roles": []}), "last_system_admin")


def test_other_changes_of_the_last_administrator_are_allowed(api, demo, db):
    # Keeping the role while changing the others, or disabling what is already
    # disabled, leaves the number of administrators as it was.
    response = api.put("/accounts/admin/roles", as_=ADMIN, json={"roles": ["system_admin"]})
    assert response.status_code == 200, response.text
    _second_admin(db)
    assert api.post("/accounts/admin2/disable", as_=ADMIN).status_code == 200
    assert api.post("/accounts/admin2/disable", as_=ADMIN).status_code == 200


def test_an_administrator_whose_holder_left_does_not_count(api, demo, db):
    # Such an account cannot sign in (and the nightly sweep disables it).
    _second_admin(db, holder_status="left")
    _refused(api.post("/accounts/admin/disable", as_=HELPDESK), "last_system_admin")


def test_an_account_review_cannot_revoke_the_last_administrator(api, demo, db):
    create_account(db, "reviewer.a01", "P0006", "A01", roles=("account_reviewer",))
    campaign = api.post("/agencies/A01/account-reviews", as_=REVIEWER, json={})
    assert campaign.status_code == 201, campaign.text
    path = f"/account-reviews/{campaign.json()['id']}/items/admin"
    response = api.post(path, as_=REVIEWER, json={"decision": "revoke", "reason": "no longer"})
    _refused(response, "last_system_admin")
    assert _status(db, "admin") == "active"
    # Undecided still: once a second administrator exists, it can be revoked.
    _second_admin(db)
    response = api.post(path, as_=REVIEWER, json={"decision": "revoke", "reason": "no longer"})
    assert response.status_code == 200, response.text
    assert _status(db, "admin") == "disabled"


@pytest.mark.parametrize("change", ["disable", "remove-role"])
def test_two_concurrent_changes_cannot_remove_both_administrators(api, demo, db, change):
    """Each request alone would leave one administrator; together they would
    leave none. They take turns on a lock, so the second sees the first."""
    _second_admin(db)
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def remove(name: str) -> None:
        barrier.wait(timeout=30)
        if change == "disable":
            response = api.post(f"/accounts/{name}/disable", as_=HELPDESK)
        else:
            response = api.put(f"/accounts/{name}/roles", as_=HELPDESK, json={"roles": []})
        statuses[name] = response.status_code

    threads = [threading.Thread(target=remove, args=(n,)) for n in ("admin", "admin2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses.values()) == [200, 409]
    db.expire_all()
    remaining = [
        a.name
        for a in db.exec(
            select(Account)
            .join(AccountRole, col(AccountRole.account) == Account.name)
            .where(AccountRole.role == "system_admin", Account.status == "active")
        )
    ]
    assert len(remaining) == 1


def test_the_rules_alone() -> None:
    two = {"admin", "admin2"}
    assert disable_errors(actor="x", account="admin", active_admins=two) == []
    assert [e.code for e in disable_errors(actor="admin", account="admin", active_admins=two)] == [
        "own_account"
    ]
    assert [
        e.code for e in disable_errors(actor="admin", account="admin", active_admins={"admin"})
    ] == ["own_account", "last_system_admin"]
    # Not an administrator, or none left to protect: nothing to refuse.
    assert disable_errors(actor="x", account="emp", active_admins={"admin"}) == []
    assert disable_errors(actor="x", account="emp", active_admins=set()) == []
    assert role_change_errors(account="admin", roles=[], active_admins=two) == []
    assert (
        role_change_errors(account="admin", roles=["system_admin"], active_admins={"admin"}) == []
    )
    assert [
        e.code for e in role_change_errors(account="admin", roles=[], active_admins={"admin"})
    ] == ["last_system_admin"]
