"""Pure rules: the role catalogue, account rules, networks, client secrets, settings."""

from __future__ import annotations

import pytest

from services.directory.domain import client_secrets
from services.directory.domain.account_rules import account_errors
from services.directory.domain.networks import InvalidNetwork, normalise_network
from services.directory.roles import (
    AUDITED_SERVICES,
    CATALOGUE,
    PERMISSION_PATTERN,
    StoredRole,
    catalogue_by_name,
    duty_conflicts,
)
from services.directory.settings import DirectorySettings

ROLES = {r.name: StoredRole(r.name, r.kind, frozenset(r.permissions)) for r in CATALOGUE}


def test_catalogue_has_the_roles_of_the_domain():
    assert set(catalogue_by_name()) == {
        "employee",
        "unit_supervisor",
        "hr_officer",
        "training_officer",
        "lecturer",
        "security_auditor",
        "system_admin",
        "importer",
        "service",
        "service_training",
        "service_certs",
        "account_reviewer",
        "importer_elearn",
        "certs_catalogue_officer",
        "certs_importer",
        "lecturer_importer",
    }


def test_every_permission_is_well_formed():
    for role in CATALOGUE:
        for permission in role.permissions:
            assert PERMISSION_PATTERN.match(permission), permission


def test_system_admin_reads_no_personal_records():
    admin = catalogue_by_name()["system_admin"].permissions
    assert not [p for p in admin if ":persons:read" in p or ":records:read" in p]
    assert "directory:accounts:write" in admin and "directory:agencies:write" in admin


def test_security_auditor_reads_every_audit_log():
    auditor = set(catalogue_by_name()["security_auditor"].permissions)
    assert {f"{svc}:audit:read" for svc in AUDITED_SERVICES} <= auditor
    assert "gateway:audit:read" in auditor


def test_only_the_service_role_resolves_principals():
    holders = [r.name for r in CATALOGUE if "directory:principals:resolve" in r.permissions]
    assert holders == ["service"]


def test_each_catalogue_role_is_free_of_duty_conflicts():
    for role in CATALOGUE:
        assert duty_conflicts(set(role.permissions)) == [], role.name


def test_admin_cannot_also_read_persons_or_audit():
    admin = set(ROLES["system_admin"].permissions)
    assert duty_conflicts(admin | ROLES["employee"].permissions)
    assert duty_conflicts(admin | ROLES["security_auditor"].permissions)


def _codes(errors):
    return sorted(e.code for e in errors)


def test_machine_account_needs_purpose_and_networks():
    errors = account_errors(
        kind="machine", purpose=None, allowed_networks=[], roles=["importer"], known_roles=ROLES
    )
    assert _codes(errors) == ["required", "required"]


def test_roles_must_match_the_account_kind_and_exist():
    errors = account_errors(
        kind="human",
        purpose=None,
        allowed_networks=[],
        roles=["importer", "nonexistent"],
        known_roles=ROLES,
    )
    assert _codes(errors) == ["unknown_role", "wrong_kind"]
    errors = account_errors(
        kind="machine",
        purpose="sync",
        allowed_networks=["10.0.0.0/8"],
        roles=["hr_officer"],
        known_roles=ROLES,
    )
    assert _codes(errors) == ["wrong_kind"]


def test_separation_of_duties_is_enforced_on_grants():
    errors = account_errors(
        kind="human",
        purpose=None,
        allowed_networks=[],
        roles=["system_admin", "security_auditor"],
        known_roles=ROLES,
    )
    assert _codes(errors) == ["separation_of_duties"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1/32", "127.0.0.1/32"),
        ("10.1.0.0/16", "10.1.0.0/16"),
        ("::1/128", "::1/128"),
        (" 192.168.1.0/24 ", "192.168.1.0/24"),
        ("2001:DB8::/32", "2001:db8::/32"),
        ("10.0.0.5", "10.0.0.5/32"),
    ],
)
def test_networks_are_normalised(text, expected):
    assert normalise_network(text) == expected


@pytest.mark.parametrize("text", ["0.0.0.0/0", "::/0", "10.0.0.1/8", "not-an-ip", "10.0.0.0/33"])
def test_bad_or_unbounded_networks_are_refused(text):
    with pytest.raises(InvalidNetwork):
        normalise_network(text)


def test_client_secret_hash_round_trip():
    secret = client_secrets.generate()
    stored = client_secrets.hash_secret(secret)
    assert secret not in stored and stored.startswith("scrypt$")
    assert client_secrets.verify(secret, stored)
    assert not client_secrets.verify(secret + "x", stored)
    assert stored != client_secrets.hash_secret(secret)  # salted
    assert not client_secrets.verify(secret, "garbage")


def test_placeholder_national_id_key_is_refused_in_production():
    assert "national_id_key" in DirectorySettings(environment="development").secret_problems()
    DirectorySettings(environment="development").check_secrets()  # fine on a laptop
    with pytest.raises(ValueError, match="national_id_key"):
        DirectorySettings(environment="production", database_url="sqlite://").check_secrets()
    for weak in ("changeme", "short"):
        settings = DirectorySettings(
            environment="production", database_url="sqlite://", national_id_key=weak
        )
        with pytest.raises(ValueError):
            settings.check_secrets()
    strong = DirectorySettings(
        environment="production", database_url="sqlite://", national_id_key="k" * 40
    )
    assert strong.secret_problems() == []


def test_national_id_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DIRECTORY_NATIONAL_ID_KEY", "from-the-environment-0123456789")
    assert DirectorySettings().national_id_key == "from-the-environment-0123456789"
