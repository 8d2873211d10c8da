"""Service accounts (kind service, `svc.<service>`): the demo's, their rules,
their client credentials; and the roster read training's account is granted."""

from __future__ import annotations

import pytest
from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import select

from services.directory.demo import SERVICE_ACCOUNTS, seed_demo
from services.directory.models import Account, AccountRole, Person, personal_data_reads
from tests.directory.builders import create_account, create_person
from tests.directory.conftest import ADMIN, ALL_AGENCIES, GATEWAY, HR_A01, principal

SECRETS = {s: f"{s}-secret-for-tests-000000" for s in SERVICE_ACCOUNTS}
TRAINING = principal(
    "service_training",
    sub="svc.training",
    kind="service",
    agency_code="A01",
    agency_scope=["A01"],
)


@pytest.fixture
def services_demo(db):
    seed_demo(db, service_secrets=SECRETS)
    db.commit()
    return db


def _roles(db, account):
    roles = sorted(db.exec(select(AccountRole.role).where(AccountRole.account == account)).all())
    db.rollback()
    return roles


def test_the_demo_gives_each_service_an_account_of_its_own(services_demo, db, api):
    for service in SERVICE_ACCOUNTS:
        account = db.get(Account, f"svc.{service}")
        assert account is not None, service
        assert (account.kind, account.person_id, account.status) == ("service", "P0001", "active")
        assert account.allowed_networks == ["127.0.0.1/32", "::1/128"] and account.purpose
        # Only the jobs of training (the roster sync) and certs (the AI-hours
        # pull) call another service: only their accounts hold a role.
        assert _roles(db, f"svc.{service}") == (
            [f"service_{service}"] if service in ("training", "certs") else []
        )
    assert db.get(Account, "gateway").kind == "service"
    db.rollback()
    # The secret the seed was given signs the account in; nothing else does.
    ok = api.post(
        "/principals/client-credentials",
        as_=GATEWAY,
        json={"client_id": "svc.training", "client_secret": SECRETS["training"]},
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["kind"] == "service" and body["person_id"] is None
    assert body["permissions"] == [
        "directory:agencies:read",
        "directory:persons:import_match",
        "directory:persons:roster",
    ]
    assert body["person_status"] == "active"
    wrong = api.post(
        "/principals/client-credentials",
        as_=GATEWAY,
        json={"client_id": "svc.training", "client_secret": SECRETS["certs"]},
    )
    assert wrong.status_code == 401


def test_a_demo_directory_seeded_before_gets_the_missing_accounts_only(demo, db):
    db.delete(db.get(Account, "svc.speakers"))
    db.commit()
    created = seed_demo(db, service_secrets=SECRETS)
    db.commit()
    assert created == ["speakers"]
    assert seed_demo(db, service_secrets=SECRETS) == []


def test_an_administrator_creates_one_as_for_production(api, demo):
    body = {
        "name": "svc.reports",
        "kind": "service",
        "person_id": "P0001",
        "agency_code": "A01",
        "purpose": "Nightly report exports",
        "roles": ["service_training"],
        "allowed_networks": ["10.30.0.0/24"],
    }
    created = api.post("/accounts", as_=ADMIN, json=body)
    assert created.status_code == 201, created.text
    secret = api.post("/accounts/svc.reports/secrets", as_=ADMIN, json={})
    assert secret.status_code == 201 and secret.json()["secret"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"roles": ["importer"]}, "wrong_kind"),  # a machine role
        ({"allowed_networks": []}, "required"),
        ({"purpose": None}, "required"),
    ],
)
def test_service_accounts_follow_the_machine_rules(api, demo, changes, code):
    body = {
        "name": "svc.other",
        "kind": "service",
        "person_id": "P0001",
        "agency_code": "A01",
        "purpose": "x",
        "roles": ["service_training"],
        "allowed_networks": ["127.0.0.1/32"],
        **changes,
    }
    response = api.post("/accounts", as_=ADMIN, json=body)
    assert response.status_code == 422, response.text
    assert code in [e["code"] for e in response.json()["errors"]]


def test_a_service_role_goes_to_service_accounts_only(api, demo):
    body = {
        "name": "sync.bot",
        "kind": "machine",
        "person_id": "P0002",
        "agency_code": "A01",
        "purpose": "Nightly sync",
        "roles": ["service_training"],
        "allowed_networks": ["10.20.0.0/16"],
    }
    response = api.post("/accounts", as_=ADMIN, json=body)
    assert response.status_code == 422
    assert "wrong_kind" in [e["code"] for e in response.json()["errors"]]


def test_the_review_reports_a_service_account_whose_owner_left(api, demo, db):
    from tests.directory.conftest import REVIEWER

    create_person(db, "P0200", "A01", status="left")
    create_account(db, "svc.orphan", "P0200", "A01", kind="service", networks=("127.0.0.1/32",))
    report = api.get("/agencies/A01/account-review", as_=REVIEWER).json()
    assert "svc.orphan" in [a["name"] for a in report["machine_without_owner"]]


# --------------------------------------------------------------------- roster


def _in_service(db, agency):
    rows = db.exec(
        select(Person).where(Person.agency_code == agency, Person.status == "active")
    ).all()
    db.rollback()
    return {p.id: p.unit_id for p in rows}


def test_the_roster_lists_persons_in_service_by_id_and_unit_only(api, demo, db):
    create_person(db, "P0099", "A01", status="left")
    for agency in ALL_AGENCIES:
        response = api.get(f"/agencies/{agency}/roster", as_=TRAINING, params={"limit": 2})
        assert response.status_code == 200, response.text
        seen = {}
        page = response.json()
        while True:
            for item in page["items"]:
                assert set(item) == {"id", "unit_id"}  # no name, no contact details
                seen[item["id"]] = item["unit_id"]
            if page["next_cursor"] is None:
                break
            page = api.get(
                f"/agencies/{agency}/roster",
                as_=TRAINING,
                params={"limit": 2, "cursor": page["next_cursor"]},
            ).json()
        assert seen == _in_service(db, agency), agency
    assert "P0099" not in seen


def test_each_person_listed_is_logged_as_read_by_the_account(api, demo, db):
    assert api.get("/agencies/A02/roster", as_=TRAINING).status_code == 200
    rows = (
        db.execute(
            sa_select(personal_data_reads).where(personal_data_reads.c.reader == "svc.training")
        )
        .mappings()
        .all()
    )
    db.rollback()
    assert [(r["subject_person_id"], r["fields"]) for r in rows] == [
        (pid, "agency_code,unit_id,status") for pid in sorted(_in_service(db, "A02"))
    ]


def test_the_roster_needs_its_own_permission(api, demo):
    # HR reads persons of its agencies, but holds no roster grant.
    assert api.get("/agencies/A01/roster", as_=HR_A01).status_code == 403
    scoped = {**TRAINING, "permissions": ["directory:persons:roster:agency"]}
    assert api.get("/agencies/A01/roster", as_=scoped).status_code == 200
    # Outside the scope, or unknown: the same 404.
    assert api.get("/agencies/A02/roster", as_=scoped).status_code == 404
    assert api.get("/agencies/ZZ9/roster", as_=TRAINING).status_code == 404


def test_reading_rosters_and_administering_accounts_are_kept_apart():
    from services.directory.roles import duty_conflicts

    assert duty_conflicts({"directory:accounts:write", "directory:persons:roster"})


def test_the_constraints_admit_kind_service_and_nothing_new_besides(db):
    from sqlalchemy.exc import IntegrityError

    db.execute(
        text("INSERT INTO roles (name, account_kind, description) VALUES ('y', 'service', 'y')")
    )
    db.rollback()
    with pytest.raises(IntegrityError):
        db.execute(
            text("INSERT INTO roles (name, account_kind, description) VALUES ('x', 'robot', 'x')")
        )
    db.rollback()


# A directory migrated before service accounts existed: the gateway's role was
# a machine role then (a fresh database at a1d0c0000009 leaves it to a1d0c0000010).
GATEWAY_AS_MACHINE = (
    "INSERT INTO roles (name, account_kind, description) VALUES ('service', 'machine',"
    " 'A renshi component (the gateway) resolving principals')",
    "INSERT INTO role_permissions (role, permission)"
    " VALUES ('service', 'directory:principals:resolve')",
    "INSERT INTO agencies (code, name, type, created_at, updated_at)"
    " VALUES ('A01', 'x', 'competent_authority', :t, :t)",
    "INSERT INTO persons (id, name, agency_code, status, source, updated_at)"
    " VALUES ('P1', 'x', 'A01', 'active', 't', :t)",
    "INSERT INTO accounts (name, kind, person_id, purpose, agency_code, include_subordinates,"
    " status, allowed_networks, created_at)"
    " VALUES ('gateway', 'machine', 'P1', 'the gateway', 'A01', false, 'active', '[]', :t)",
    "INSERT INTO account_roles (account, role, granted_on) VALUES ('gateway', 'service', :t)",
)


def _kinds(engine):
    with engine.connect() as conn:
        accounts = dict(conn.execute(text("SELECT name, kind FROM accounts")).all())
        roles = dict(conn.execute(text("SELECT name, account_kind FROM roles")).all())
    return accounts, roles


def test_the_migration_makes_the_gateway_a_service_account_and_back(tmp_path):
    from services.common.db import make_engine
    from services.common.migrate import downgrade, upgrade
    from tests.databases import fresh_database

    with fresh_database("directory", tmp_path, migrate=False) as url:
        upgrade("directory", url, "a1d0c0000009")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                for statement in GATEWAY_AS_MACHINE:
                    conn.execute(text(statement), {"t": "2026-01-01"})
            upgrade("directory", url)
            accounts, roles = _kinds(engine)
            assert accounts == {"gateway": "service"}
            assert roles["service"] == roles["service_training"] == "service"
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO accounts (name, kind, person_id, purpose, agency_code,"
                        " include_subordinates, status, allowed_networks, created_at) VALUES"
                        " ('svc.training', 'service', 'P1', 'jobs', 'A01', false, 'active',"
                        " '[]', :t)"
                    ),
                    {"t": "2026-01-01"},
                )
                conn.execute(
                    text(
                        "INSERT INTO account_roles (account, role, granted_on)"
                        " VALUES ('svc.training', 'service_training', :t)"
                    ),
                    {"t": "2026-01-01"},
                )
            downgrade("directory", url, "a1d0c0000009")
            accounts, roles = _kinds(engine)
            # Every row fits the narrower constraint again; the new role is gone.
            assert accounts == {"gateway": "machine", "svc.training": "machine"}
            assert roles["service"] == "machine" and "service_training" not in roles
            with engine.connect() as conn:
                held = conn.execute(text("SELECT account, role FROM account_roles")).all()
            assert [tuple(r) for r in held] == [("gateway", "service")]
            upgrade("directory", url)
            assert _kinds(engine)[0] == {"gateway": "service", "svc.training": "machine"}
        finally:
            engine.dispose()
