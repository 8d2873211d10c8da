"""POST /principals/usage: the gateway's report of which permission families
accounts used, credited to the roles that grant them; and when roles were granted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.common.timeutil import today_taipei
from services.directory.models import AccountRole, RoleUsage
from services.directory.schemas import MAX_USAGE_ENTRIES
from tests.directory.builders import create_account
from tests.directory.conftest import ADMIN, GATEWAY, HR_A01

USAGE = "/principals/usage"
TODAY = today_taipei()


def _day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def _report(api, *uses, as_=GATEWAY):
    entries = [{"account": a, "permission": p, "used_on": d} for a, p, d in uses]
    return api.post(USAGE, as_=as_, json={"entries": entries})


def _usage(db) -> dict[tuple[str, str], str]:
    rows = db.execute(
        select(col(RoleUsage.account), col(RoleUsage.role), col(RoleUsage.last_used_on))
    ).all()
    db.rollback()
    return {(a, r): day.isoformat() for a, r, day in rows if a != "gateway"}


def test_a_use_is_credited_to_every_role_granting_the_family(api, demo, db):
    create_account(db, "boss.a01", "P0006", "A01", roles=("employee", "unit_supervisor"))
    response = _report(
        api,
        ("hr.a01", "training:records:read", _day(3)),  # hr_officer: …:read:agency
        ("boss.a01", "training:records:read", _day(2)),  # …:read:self and …:read:unit
        ("emp.a01", "speakers:search", _day(1)),  # no role of emp.a01 grants it
        ("importer.elearn", "training:imports", _day(0)),  # importer_elearn only
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"entries": 4, "unknown_accounts": 0, "roles_recorded": 4}
    assert _usage(db) == {
        ("hr.a01", "hr_officer"): _day(3),
        ("boss.a01", "employee"): _day(2),
        ("boss.a01", "unit_supervisor"): _day(2),
        ("importer.elearn", "importer_elearn"): _day(0),
    }


def test_the_later_day_wins(api, demo, db):
    assert _report(api, ("hr.a01", "training:records:read", _day(5))).status_code == 200
    assert _report(api, ("hr.a01", "training:records:write", _day(9))).status_code == 200
    assert _usage(db) == {("hr.a01", "hr_officer"): _day(5)}  # not moved back
    both = _report(
        api,
        ("hr.a01", "training:records:read", _day(4)),
        ("hr.a01", "attendance:records:read", _day(2)),
    )
    assert both.status_code == 200
    assert _usage(db) == {("hr.a01", "hr_officer"): _day(2)}  # the latest of the batch
    # A clock ahead of the directory's cannot date a use in the future.
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert _report(api, ("hr.a01", "training:records:read", tomorrow)).status_code == 200
    assert _usage(db) == {("hr.a01", "hr_officer"): TODAY.isoformat()}


def test_unknown_accounts_are_ignored(api, demo, db):
    response = _report(
        api,
        ("nobody", "training:records:read", _day(0)),
        ("Not A Name!", "training:records:read", _day(0)),
        ("hr.a01", "training:records:read", _day(0)),
    )
    assert response.status_code == 200, response.text
    assert response.json()["unknown_accounts"] == 2
    assert _usage(db) == {("hr.a01", "hr_officer"): _day(0)}


def test_reporting_is_the_gateways_use_of_its_own_role(api, demo, db):
    assert _report(api, ("hr.a01", "training:records:read", _day(3))).status_code == 200
    row = db.get(RoleUsage, ("gateway", "service"))
    db.rollback()
    assert row is not None and row.last_used_on == TODAY


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.entries"),
        ({"entries": []}, "body.entries"),
        ({"entries": "hr.a01"}, "body.entries"),
        (
            {"entries": [{"account": "hr.a01", "used_on": "2026-11-01"}]},
            "body.entries.0.permission",
        ),
        (
            {"entries": [{"account": "hr.a01", "permission": "Training", "used_on": "2026-11-01"}]},
            "body.entries.0.permission",
        ),
        (
            {
                "entries": [
                    {
                        "account": "hr.a01",
                        "permission": "training:records:read",
                        "used_on": "2026-13-01",
                    }
                ]
            },
            "body.entries.0.used_on",
        ),
        (
            {
                "entries": [
                    {"account": "", "permission": "training:records:read", "used_on": "2026-11-01"}
                ]
            },
            "body.entries.0.account",
        ),
        (
            {
                "entries": [
                    {
                        "account": "hr.a01",
                        "permission": "training:records:read",
                        "used_on": "2026-11-01",
                        "extra": 1,
                    }
                ]
            },
            "body.entries.0.extra",
        ),
    ],
)
def test_a_malformed_report_is_refused_with_the_field(api, demo, db, body, field):
    response = api.post(USAGE, as_=GATEWAY, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert _usage(db) == {}


def test_at_most_one_batch_of_entries(api, demo):
    entry = {"account": "hr.a01", "permission": "training:records:read", "used_on": _day(0)}
    response = api.post(USAGE, as_=GATEWAY, json={"entries": [entry] * (MAX_USAGE_ENTRIES + 1)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.entries"


def test_only_the_gateway_may_report(api, demo, db):
    use = ("hr.a01", "training:records:read", _day(0))
    assert api.post(USAGE, json={"entries": []}).status_code == 401
    for who in (ADMIN, HR_A01):
        assert _report(api, use, as_=who).status_code == 403
    assert _usage(db) == {}


def test_roles_are_dated_when_granted_and_keep_their_date(api, demo, db):
    old = TODAY - timedelta(days=200)
    held = db.get(AccountRole, ("emp.a01", "employee"))
    held.granted_on = old
    db.add(held)
    db.commit()
    assert _report(api, ("emp.a01", "training:records:read", _day(150))).status_code == 200
    response = api.put(
        "/accounts/emp.a01/roles", as_=ADMIN, json={"roles": ["employee", "lecturer"]}
    )
    assert response.status_code == 200, response.text
    grants = {
        r.role: r.granted_on
        for r in db.execute(
            select(AccountRole).where(col(AccountRole.account) == "emp.a01")
        ).scalars()
    }
    db.rollback()
    assert grants == {"employee": old, "lecturer": TODAY}
    assert _usage(db) == {("emp.a01", "employee"): _day(150)}
    # Taken away: its record of use goes with the grant.
    api.put("/accounts/emp.a01/roles", as_=ADMIN, json={"roles": ["lecturer"]})
    assert _usage(db) == {}


def test_a_new_account_s_roles_are_granted_today(api, demo, db):
    response = api.post(
        "/accounts",
        as_=ADMIN,
        json={
            "name": "new.a01",
            "kind": "human",
            "person_id": "P0006",
            "agency_code": "A01",
            "roles": ["employee"],
        },
    )
    assert response.status_code == 201, response.text
    row = db.get(AccountRole, ("new.a01", "employee"))
    db.rollback()
    assert row is not None and row.granted_on == TODAY


def test_through_the_gateway_into_the_review(apps, internal_keys, demo, db, api, tmp_path):
    """The real thing end to end: requests through a gateway whose account look-ups
    and usage reports go to this directory; the report then sees the use."""
    from fastapi.testclient import TestClient

    from gateway.app import create_app
    from gateway.issuer import issue_token
    from gateway.keys import generate
    from gateway.settings import GatewaySettings
    from services.common.internal_auth import InternalTokenVerifier
    from tests.databases import fresh_database
    from tests.directory.conftest import REVIEWER
    from tests.gateway.harness import SERVICES, HostRouter, Recorder, recording_upstream

    held = db.get(AccountRole, ("hr.a01", "hr_officer"))
    held.granted_on = TODAY - timedelta(days=200)
    db.add(held)
    db.commit()
    report = "/agencies/A01/account-review"
    assert "hr_officer" in [r["role"] for r in api.get(report, as_=REVIEWER).json()["unused_roles"]]

    issuer = generate()
    recorder = Recorder()
    hosts = {
        f"{s}.internal": recording_upstream(
            recorder, s, InternalTokenVerifier(public_pem=internal_keys.public_pem, audience=s)
        )
        for s in SERVICES
    }
    hosts["directory.internal"] = apps["directory"]
    with fresh_database("gateway", tmp_path) as audit_url:
        settings = GatewaySettings(
            keys_dir=tmp_path,
            environment="test",
            database_url=audit_url,
            issuer_private_key=issuer.private_pem,
            internal_private_key=internal_keys.private_pem,
            forwarder="httpx",
            service_urls={s: f"http://{s}.internal" for s in SERVICES},
        )
        gateway = create_app(settings, transport=HostRouter(hosts))
        token = issue_token(
            issuer,
            account="hr.a01",
            issuer=settings.issuer,
            audience=settings.audience,
            lifetime=300,
        )
        with TestClient(gateway, client=("127.0.0.1", 50000)) as client:
            for path in ("/api/training/records", "/api/training/records", "/api/certs/nothing"):
                client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert recorder.count == 2
            assert client.portal is not None
            assert client.portal.call(gateway.runtime().usage.flush) is True
    assert _usage(db) == {("hr.a01", "hr_officer"): TODAY.isoformat()}
    assert "hr_officer" not in [
        r["role"] for r in api.get(report, as_=REVIEWER).json()["unused_roles"]
    ]
