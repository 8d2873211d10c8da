"""Accounts: administered by the system admin; machine accounts need purpose,
networks and secrets; grants respect separation of duties."""

from __future__ import annotations

from datetime import timedelta

from services.common.timeutil import now_utc
from services.directory.domain import client_secrets
from services.directory.models import ClientSecret
from tests.directory.conftest import ADMIN, AUDITOR, EMPLOYEE, HR_A01, principal

ADMIN_A02 = principal(
    "system_admin",
    sub="admin.a02",
    agency_scope=["A02"],
    permissions=["directory:accounts:read:agency", "directory:accounts:write:agency"],
)


def _human(**fields):
    return {
        "name": "new.user",
        "kind": "human",
        "person_id": "P0007",
        "agency_code": "A02",
        "roles": ["employee"],
        **fields,
    }


def _machine(**fields):
    return {
        "name": "sync.bot",
        "kind": "machine",
        "person_id": "P0002",
        "agency_code": "A01",
        "purpose": "Nightly sync",
        "roles": ["importer"],
        "allowed_networks": ["10.20.0.0/16"],
        **fields,
    }


def test_no_token_is_401(api, demo):
    assert api.get("/accounts").status_code == 401


def test_admin_lists_and_filters_accounts(api, demo):
    names = [a["name"] for a in api.get("/accounts", as_=ADMIN).json()["items"]]
    assert names == sorted(names) and "gateway" in names and len(names) == 12
    machines = api.get("/accounts", as_=ADMIN, params={"kind": "machine"}).json()["items"]
    assert [a["name"] for a in machines] == ["importer.elearn"]
    services = api.get("/accounts", as_=ADMIN, params={"kind": "service"}).json()["items"]
    assert [a["name"] for a in services] == [
        "gateway",
        *(f"svc.{s}" for s in ("attendance", "certs", "directory", "speakers", "training")),
    ]
    auditors = api.get("/accounts", as_=ADMIN, params={"role": "security_auditor"}).json()
    assert [a["name"] for a in auditors["items"]] == ["auditor"]
    assert auditors["items"][0]["roles"] == ["security_auditor"]


def test_auditor_may_review_accounts_but_not_change_them(api, demo):
    assert api.get("/accounts", as_=AUDITOR).status_code == 200
    assert api.post("/accounts/emp.a01/disable", as_=AUDITOR).status_code == 403


def test_wrong_role_is_403(api, demo):
    assert api.get("/accounts", as_=HR_A01).status_code == 403
    assert api.get("/accounts/admin", as_=EMPLOYEE).status_code == 403
    assert api.post("/accounts", as_=HR_A01, json=_human()).status_code == 403
    assert (
        api.put("/accounts/emp.a01/roles", as_=HR_A01, json={"roles": ["hr_officer"]}).status_code
        == 403
    )


def test_get_missing_and_other_agency(api, demo):
    assert api.get("/accounts/nobody", as_=ADMIN).status_code == 404
    assert api.get("/accounts/emp.a01", as_=ADMIN_A02).status_code == 404
    assert api.post("/accounts/emp.a01/disable", as_=ADMIN_A02).status_code == 404
    assert api.post("/accounts", as_=ADMIN_A02, json=_human(agency_code="A01")).status_code == 404


def test_create_human_account(api, demo):
    response = api.post("/accounts", as_=ADMIN, json=_human())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["roles"] == ["employee"] and body["status"] == "active"
    assert api.get("/accounts/new.user", as_=ADMIN_A02).json()["person_id"] == "P0007"
    assert api.post("/accounts", as_=ADMIN, json=_human()).status_code == 409


def test_create_machine_account_rules(api, demo):
    assert api.post("/accounts", as_=ADMIN, json=_machine()).status_code == 201
    no_networks = api.post("/accounts", as_=ADMIN, json=_machine(name="b2", allowed_networks=[]))
    assert no_networks.status_code == 422
    anywhere = api.post(
        "/accounts", as_=ADMIN, json=_machine(name="b3", allowed_networks=["0.0.0.0/0"])
    )
    assert anywhere.status_code == 422
    assert (
        api.post(
            "/accounts", as_=ADMIN, json=_machine(name="b4", allowed_networks=["::/0"])
        ).status_code
        == 422
    )
    no_purpose = api.post("/accounts", as_=ADMIN, json=_machine(name="b5", purpose=None))
    assert no_purpose.status_code == 422
    human_role = api.post("/accounts", as_=ADMIN, json=_machine(name="b6", roles=["hr_officer"]))
    assert human_role.status_code == 422


def test_create_account_validation(api, demo):
    bad_name = api.post("/accounts", as_=ADMIN, json=_human(name="Has Spaces"))
    assert bad_name.status_code == 422
    assert api.post("/accounts", as_=ADMIN, json=_human(person_id="NOPE")).status_code == 422
    assert api.post("/accounts", as_=ADMIN, json=_human(agency_code="ZZ1")).status_code == 422
    assert api.post("/accounts", as_=ADMIN, json=_human(roles=["importer"])).status_code == 422
    assert api.post("/accounts", as_=ADMIN, json=_human(roles=["root"])).status_code == 422


def test_admin_cannot_grant_admin_with_person_reads(api, demo):
    response = api.post("/accounts", as_=ADMIN, json=_human(roles=["system_admin", "employee"]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "separation_of_duties"
    again = api.put(
        "/accounts/admin/roles", as_=ADMIN, json={"roles": ["system_admin", "security_auditor"]}
    )
    assert again.status_code == 422


def test_replace_roles(api, demo):
    body = api.put(
        "/accounts/emp.a01/roles", as_=ADMIN, json={"roles": ["employee", "unit_supervisor"]}
    ).json()
    assert body["roles"] == ["employee", "unit_supervisor"]
    assert api.get("/accounts/emp.a01", as_=ADMIN).json()["roles"] == [
        "employee",
        "unit_supervisor",
    ]
    assert api.put("/accounts/nobody/roles", as_=ADMIN, json={"roles": []}).status_code == 404


def test_update_account(api, demo):
    body = api.patch(
        "/accounts/importer.elearn",
        as_=ADMIN,
        json={"allowed_networks": ["10.0.0.0/8", "10.0.0.0/8"], "include_subordinates": False},
    ).json()
    assert body["allowed_networks"] == ["10.0.0.0/8"] and body["include_subordinates"] is False
    emptied = api.patch("/accounts/importer.elearn", as_=ADMIN, json={"allowed_networks": []})
    assert emptied.status_code == 422
    assert (
        api.patch(
            "/accounts/importer.elearn", as_=ADMIN, json={"allowed_networks": None}
        ).status_code
        == 422
    )
    assert api.patch("/accounts/nobody", as_=ADMIN, json={"purpose": "x"}).status_code == 404


def test_disable_and_enable(api, demo):
    disabled = api.post("/accounts/emp.a01/disable", as_=ADMIN).json()
    assert disabled["status"] == "disabled" and disabled["disabled_at"] is not None
    assert disabled["disabled_reason"] == "disabled by admin"
    listed = api.get("/accounts", as_=ADMIN, params={"status": "disabled"}).json()["items"]
    assert [a["name"] for a in listed] == ["emp.a01"]
    enabled = api.post("/accounts/emp.a01/enable", as_=ADMIN).json()
    assert enabled["status"] == "active" and enabled["disabled_at"] is None
    assert enabled["disabled_reason"] is None
    assert api.post("/accounts/nobody/enable", as_=ADMIN).status_code == 404


def test_secrets_are_shown_once_and_stored_hashed(api, demo, db):
    response = api.post("/accounts/importer.elearn/secrets", as_=ADMIN, json={})
    assert response.status_code == 201, response.text
    created = response.json()
    listed = api.get("/accounts/importer.elearn/secrets", as_=ADMIN).json()["items"]
    assert [s["id"] for s in listed][-1] == created["id"]
    assert all("secret" not in s for s in listed)
    row = db.get(ClientSecret, created["id"])
    assert created["secret"] not in row.secret_hash
    assert client_secrets.verify(created["secret"], row.secret_hash)


def test_secret_rules(api, demo):
    human = api.post("/accounts/emp.a01/secrets", as_=ADMIN, json={})
    assert human.status_code == 409
    past = (now_utc() - timedelta(days=1)).isoformat()
    assert (
        api.post("/accounts/gateway/secrets", as_=ADMIN, json={"expires_at": past}).status_code
        == 422
    )
    naive = "2099-01-01T00:00:00"
    assert (
        api.post("/accounts/gateway/secrets", as_=ADMIN, json={"expires_at": naive}).status_code
        == 422
    )
    assert api.post("/accounts/nobody/secrets", as_=ADMIN, json={}).status_code == 404
    assert api.post("/accounts/gateway/secrets", as_=HR_A01, json={}).status_code == 403


def test_revoke_secret(api, demo):
    created = api.post("/accounts/gateway/secrets", as_=ADMIN, json={}).json()
    revoked = api.delete(f"/accounts/gateway/secrets/{created['id']}", as_=ADMIN)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = api.delete(f"/accounts/gateway/secrets/{created['id']}", as_=ADMIN).json()
    assert again["revoked_at"] == revoked.json()["revoked_at"]
    assert (
        api.delete(f"/accounts/importer.elearn/secrets/{created['id']}", as_=ADMIN).status_code
        == 404
    )
    assert api.delete("/accounts/gateway/secrets/999999", as_=ADMIN).status_code == 404
    assert api.delete(f"/accounts/gateway/secrets/{created['id']}", as_=EMPLOYEE).status_code == 403


def test_an_unknown_role_is_refused_naming_the_valid_ones(api, demo):
    response = api.put("/accounts/emp.a01/roles", as_=ADMIN, json={"roles": ["root"]})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("body.roles", "unknown_role")
    human_roles = {
        r["name"]
        for r in api.get("/roles", as_=ADMIN).json()["items"]
        if r["account_kind"] == "human"
    }
    assert "employee" in human_roles and "importer_elearn" not in human_roles
    listed = set(error["reason"].split(": ", 1)[1].split(", "))
    assert listed == human_roles


def test_roles_list_every_role_with_its_permissions(api, demo):
    roles = {r["name"]: r for r in api.get("/roles", as_=AUDITOR).json()["items"]}
    assert roles["employee"]["account_kind"] == "human"
    assert "training:imports:elearn" in roles["importer_elearn"]["permissions"]
    assert roles["importer_elearn"]["account_kind"] == "machine"
    assert all(r["description"] for r in roles.values())
    assert api.get("/roles", as_=EMPLOYEE).status_code == 403
