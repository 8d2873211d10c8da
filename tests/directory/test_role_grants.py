"""What the catalogue grants, checked against what the services ask for: every
route the gateway forwards is reachable by some role, importers are bound to
their source, and the grants keep separation of duties."""

from __future__ import annotations

from gateway.permissions import grants
from gateway.route_policy import ROUTES
from services.directory.models import Role
from services.directory.roles import (
    CATALOGUE,
    catalogue_by_name,
    duty_conflicts,
    importer_role,
)
from services.directory.store.roles import load_roles, sync_catalogue

ROLES = catalogue_by_name()


def _holders(required: str) -> list[str]:
    return [r.name for r in CATALOGUE if grants(r.permissions, required)]


def test_every_public_route_is_granted_by_some_role():
    missing = sorted({p for p in ROUTES.values() if p != "public" and not _holders(p)})
    assert missing == []


def test_hr_officer_runs_attendance_for_the_agencies_in_scope():
    hr = set(ROLES["hr_officer"].permissions)
    assert {
        "attendance:records:write:agency",
        "attendance:overtime:request:agency",
        "attendance:comp:transfer:agency",
        "attendance:policy:read:agency",
        "attendance:policy:write:agency",
        "attendance:reports:read:agency",
        "attendance:settlement:read:agency",
    } <= hr
    # Agency scope only: no HR officer reaches another agency's attendance.
    assert not [p for p in hr if p.startswith("attendance:") and not p.endswith(":agency")]


def test_unit_supervisor_gets_no_reports_the_service_cannot_narrow_to_a_unit():
    # Attendance reports accept the whole family or `:agency`, nothing per unit.
    supervisor = ROLES["unit_supervisor"].permissions
    assert not [p for p in supervisor if p.startswith("attendance:reports:")]
    assert "attendance:comp:approve:unit" in supervisor


def test_importers_are_split_by_what_they_import():
    assert set(ROLES["importer"].permissions) == {
        "directory:persons:import",
        "attendance:roster:import",
        "attendance:records:import",
    }
    elearn = ROLES["importer_elearn"]
    assert elearn.kind == "machine"
    # Its own platform only, and the person lookups and national-ID matches training
    # makes on its behalf, within its agency scope.
    assert set(elearn.permissions) == {
        "training:imports:elearn",
        "directory:persons:read:agency",
        "directory:persons:match:agency",
    }
    assert not [
        r.name
        for r in CATALOGUE
        if r.name != "importer_elearn" and "training:imports:elearn" in r.permissions
    ]


def test_importer_role_names_follow_the_source():
    role = importer_role("hr-cloud")
    assert role.name == "importer_hr_cloud"
    assert role.permissions[0] == "training:imports:hr-cloud"


def test_training_officer_maintains_the_shared_lecturer_directory():
    assert "speakers:lecturers:write" in ROLES["training_officer"].permissions


def test_reviews_are_read_by_the_auditor_and_made_by_the_reviewer():
    assert "directory:reviews:read" in ROLES["security_auditor"].permissions
    reviewer = ROLES["account_reviewer"]
    assert reviewer.kind == "human"
    assert set(reviewer.permissions) == {
        "directory:reviews:read:agency",
        "directory:reviews:write:agency",
    }
    assert _holders("directory:reviews:write") == ["account_reviewer"]


def test_the_administrator_neither_reads_records_nor_reviews():
    admin = ROLES["system_admin"].permissions
    assert not [
        p
        for p in admin
        if ":read" in p
        and not p.startswith("directory:accounts")
        and not p.startswith("directory:agencies")
    ]
    assert duty_conflicts(set(admin) | set(ROLES["account_reviewer"].permissions)) == [
        "account administration cannot be combined with reviewing accounts"
    ]
    scoped_admin = {"directory:accounts:write:agency", "directory:reviews:write:agency"}
    assert duty_conflicts(scoped_admin)


def test_sync_restores_permissions_and_descriptions(db):
    row = db.get(Role, "importer")
    row.description = "stale"
    db.add(row)
    db.commit()
    sync_catalogue(db)
    db.commit()
    assert db.get(Role, "importer").description == ROLES["importer"].description
    stored = load_roles(db)
    assert {n: set(r.permissions) for n, r in stored.items()} == {
        r.name: set(r.permissions) for r in CATALOGUE
    }


def test_only_learning_record_importers_match_national_ids():
    # Matching discloses who holds a number: machine importers only, per agency scope.
    assert _holders("directory:persons:match") == ["importer_elearn"]
    assert [p for p in ROLES["importer_elearn"].permissions if "match" in p] == [
        "directory:persons:match:agency"
    ]
