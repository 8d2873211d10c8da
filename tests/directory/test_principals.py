"""What the gateway resolves: scope with subordinates, permissions, machine secrets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common.timeutil import now_utc
from services.directory.models import Account
from tests.directory.builders import add_secret, create_account, create_agency, create_person
from tests.directory.conftest import ADMIN, GATEWAY, HR_A01, permissions_of

IMPORTER_SECRET = "importer-secret-for-tests-0001"


def _resolve(api, name):
    return api.get(f"/principals/{name}", as_=GATEWAY)


def _credentials(api, client_id, secret):
    return api.post(
        "/principals/client-credentials",
        as_=GATEWAY,
        json={"client_id": client_id, "client_secret": secret},
    )


def test_needs_the_resolve_permission(api, demo):
    assert api.get("/principals/admin").status_code == 401
    assert api.get("/principals/admin", as_=ADMIN).status_code == 403
    assert (
        api.post(
            "/principals/client-credentials",
            as_=HR_A01,
            json={"client_id": "importer.elearn", "client_secret": IMPORTER_SECRET},
        ).status_code
        == 403
    )


def test_resolves_a_human_with_subordinates_recursively(api, demo, db):
    create_agency(db, "A021", parent="A02")
    create_agency(db, "A0211", parent="A021", type_="school")
    response = _resolve(api, "hr.a01")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "account": "hr.a01",
        "kind": "human",
        "status": "active",
        "person_id": "P0002",
        "agency_code": "A01",
        "agency_scope": ["A01", "A02", "A021", "A0211", "A03", "T01"],
        "roles": ["hr_officer"],
        "permissions": permissions_of("hr_officer"),
        "allowed_networks": ["127.0.0.1/32", "::1/128"],
        "person_status": "active",
    }


def test_without_subordinates_the_scope_is_the_own_agency(api, demo):
    body = _resolve(api, "emp.a01").json()
    assert body["agency_scope"] == ["A01"] and body["permissions"] == permissions_of("employee")


def test_permissions_are_the_sorted_union_of_the_roles(api, demo):
    api.put("/accounts/emp.a01/roles", as_=ADMIN, json={"roles": ["unit_supervisor", "employee"]})
    body = _resolve(api, "emp.a01").json()
    assert body["roles"] == ["employee", "unit_supervisor"]
    assert body["permissions"] == permissions_of("employee", "unit_supervisor")


def test_machine_accounts_act_as_no_person(api, demo):
    body = _resolve(api, "importer.elearn").json()
    assert body["kind"] == "machine" and body["person_id"] is None
    assert body["person_status"] == "active"  # the owner's


def test_disabled_account_resolves_as_disabled(api, demo):
    api.post("/accounts/emp.a01/disable", as_=ADMIN)
    body = _resolve(api, "emp.a01").json()
    assert body["status"] == "disabled"


def test_person_who_left_is_visible_to_the_gateway(api, demo, db):
    create_person(db, "X1", "A01", status="left")
    create_account(db, "gone", "X1", "A01", roles=("employee",))
    assert _resolve(api, "gone").json()["person_status"] == "left"


def test_unknown_account_is_404(api, demo):
    response = _resolve(api, "nobody")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_last_used_is_written_at_most_once_a_minute(api, demo, db):
    assert db.get(Account, "hr.a01").last_used_at is None
    db.rollback()
    _resolve(api, "hr.a01")
    first = db.get(Account, "hr.a01").last_used_at
    db.rollback()
    db.expire_all()
    assert first is not None
    _resolve(api, "hr.a01")
    assert db.get(Account, "hr.a01").last_used_at == first
    db.rollback()
    db.expire_all()
    stale = db.get(Account, "hr.a01")
    stale.last_used_at = first - timedelta(minutes=5)
    db.commit()
    _resolve(api, "hr.a01")
    db.expire_all()
    assert db.get(Account, "hr.a01").last_used_at > first - timedelta(minutes=1)
    db.rollback()


def test_client_credentials_good_secret(api, demo, db):
    response = _credentials(api, "importer.elearn", IMPORTER_SECRET)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account"] == "importer.elearn"
    assert body["roles"] == ["importer", "importer_elearn"]
    assert body["permissions"] == permissions_of("importer", "importer_elearn")
    assert "training:imports:elearn" in body["permissions"]
    assert db.get(Account, "importer.elearn").last_used_at is not None
    db.rollback()


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [
        ("importer.elearn", "wrong-secret"),
        ("nobody", IMPORTER_SECRET),
        ("emp.a01", IMPORTER_SECRET),
        ("importer.elearn", ""),
    ],
)
def test_client_credentials_refusals_look_the_same(api, demo, client_id, secret):
    response = _credentials(api, client_id, secret)
    assert response.status_code == 401
    body = response.json()
    assert body["type"].endswith("/invalid-client")
    assert body["detail"] == "invalid client credentials"
    assert IMPORTER_SECRET not in response.text


def test_client_credentials_disabled_account(api, demo):
    api.post("/accounts/importer.elearn/disable", as_=ADMIN)
    assert _credentials(api, "importer.elearn", IMPORTER_SECRET).status_code == 401


def test_client_credentials_expired_and_revoked(api, demo, db):
    create_account(
        db, "bot", "P0002", "A01", kind="machine", roles=("importer",), networks=("10.0.0.0/8",)
    )
    add_secret(db, "bot", "expired-secret-0000000001", expires_at=now_utc() - timedelta(seconds=1))
    assert _credentials(api, "bot", "expired-secret-0000000001").status_code == 401
    secret = api.post("/accounts/bot/secrets", as_=ADMIN, json={}).json()
    assert _credentials(api, "bot", secret["secret"]).status_code == 200
    api.delete(f"/accounts/bot/secrets/{secret['id']}", as_=ADMIN)
    assert _credentials(api, "bot", secret["secret"]).status_code == 401


def test_rotation_keeps_both_secrets_valid_during_the_overlap(api, demo):
    old = api.post(
        "/accounts/gateway/secrets",
        as_=ADMIN,
        json={"expires_at": (now_utc() + timedelta(days=7)).isoformat()},
    ).json()
    new = api.post("/accounts/gateway/secrets", as_=ADMIN, json={}).json()
    assert _credentials(api, "gateway", old["secret"]).status_code == 200
    assert _credentials(api, "gateway", new["secret"]).status_code == 200
    api.delete(f"/accounts/gateway/secrets/{old['id']}", as_=ADMIN)
    assert _credentials(api, "gateway", old["secret"]).status_code == 401
    assert _credentials(api, "gateway", new["secret"]).status_code == 200
