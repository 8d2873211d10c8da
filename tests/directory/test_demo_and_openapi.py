"""The demo seed, and the directory's OpenAPI document."""

from __future__ import annotations

from openapi_spec_validator import validate
from sqlmodel import func, select

from services.directory.demo import PERSONS, seed_demo
from services.directory.domain import national_id
from services.directory.models import Account, Agency, ClientSecret, Person
from services.directory.schemas import ResolvedPrincipal
from tests.directory.conftest import GATEWAY


def _counts(db):
    counts = tuple(
        db.exec(select(func.count()).select_from(t)).one()
        for t in (Agency, Person, Account, ClientSecret)
    )
    db.rollback()
    return counts


def test_demo_is_seeded_once(demo, db):
    first = _counts(db)
    assert first == (4, 9, 12, 2)
    seed_demo(db, "another-secret-000000000001")
    db.commit()
    assert _counts(db) == first


def test_demo_national_ids_are_valid_and_kept_masked(demo, db):
    for _pid, _name, _agency, _unit, _boss, stem in PERSONS:
        assert national_id.is_valid(national_id.with_check_digit(stem))
    for person in db.exec(select(Person)):
        assert person.national_id_masked and "****" in person.national_id_masked
    db.rollback()


def test_demo_accounts_resolve(api, demo):
    expected = {
        "admin": ["system_admin"],
        "hr.a01": ["hr_officer"],
        "emp.a01": ["employee"],
        "auditor": ["security_auditor"],
        "trainer.a01": ["training_officer"],
        "importer.elearn": ["importer", "importer_elearn"],
        "gateway": ["service"],
    }
    for name, roles in expected.items():
        body = api.get(f"/principals/{name}", as_=GATEWAY).json()
        assert body["roles"] == roles, name
    importer = api.get("/principals/importer.elearn", as_=GATEWAY).json()
    assert importer["kind"] == "machine"
    assert importer["allowed_networks"] == ["127.0.0.1/32", "::1/128"]


def test_demo_without_secrets_leaves_machines_unable_to_log_in(db):
    seed_demo(db)
    db.commit()
    assert db.exec(select(func.count()).select_from(ClientSecret)).one() == 0
    db.rollback()


def test_openapi_document_is_valid_and_complete(apps):
    app = apps["directory"]
    document = app.openapi()
    validate(document)
    operation_ids = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            operation_ids.append(operation["operationId"])
            assert operation.get("summary"), (method, path)
            assert operation.get("tags"), (method, path)
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success and operation["responses"][success[0]].get("content"), (method, path)
    assert len(operation_ids) == len(set(operation_ids))
    # Account resolution is for the gateway only: not a public operation.
    assert not any(path.startswith("/principals") for path in document["paths"])
    schema = ResolvedPrincipal.model_json_schema()
    assert set(schema["properties"]) == {
        "account",
        "kind",
        "status",
        "person_id",
        "agency_code",
        "agency_scope",
        "roles",
        "permissions",
        "allowed_networks",
        "person_status",
    }
