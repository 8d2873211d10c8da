"""The role catalogue as the migrations leave it: a database migrated to head
holds exactly services/directory/roles.py, whether it was created fresh or
already held the catalogue as first released; going back down restores that."""

from __future__ import annotations

from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from services.directory.roles import CATALOGUE
from tests.databases import fresh_database

BEFORE_CHANGES = "a1d0c0000005"

# The catalogue as revision a1d0c0000004 first seeded it (written out, so that
# later edits to roles.py cannot change what "before" means).
FIRST_RELEASE = (
    (
        "employee",
        "human",
        "同仁: one's own records",
        (
            "attendance:comp:request:self",
            "attendance:overtime:request:self",
            "attendance:records:read:self",
            "certs:certificates:read:self",
            "directory:persons:read:self",
            "training:records:read:self",
        ),
    ),
    (
        "unit_supervisor",
        "human",
        "單位主管: the records of one's unit",
        (
            "attendance:comp:approve:unit",
            "attendance:overtime:approve:unit",
            "attendance:records:read:unit",
            "directory:persons:read:unit",
            "training:records:read:unit",
        ),
    ),
    (
        "hr_officer",
        "human",
        "人事人員: personnel records of the agencies in scope",
        (
            "attendance:records:read:agency",
            "certs:certificates:read:agency",
            "certs:certificates:write:agency",
            "directory:agencies:read:agency",
            "directory:persons:read:agency",
            "directory:persons:write:agency",
            "directory:units:write:agency",
            "training:records:read:agency",
            "training:records:write:agency",
        ),
    ),
    (
        "training_officer",
        "human",
        "訓練承辦人: classes, training records, lecturers",
        (
            "directory:agencies:read:agency",
            "directory:persons:read:agency",
            "speakers:engagements:write:agency",
            "speakers:search",
            "speakers:searchers:grant:agency",
            "training:classes:write:agency",
            "training:records:read:agency",
            "training:records:write:agency",
        ),
    ),
    (
        "lecturer_searcher",
        "human",
        "授權查詢人員: may search the lecturer directory",
        ("speakers:search",),
    ),
    (
        "lecturer",
        "human",
        "講座: one's own lecturer profile",
        ("speakers:profile:read:self", "speakers:profile:write:self"),
    ),
    (
        "security_auditor",
        "human",
        "Security auditor: audit logs and account reviews",
        (
            "attendance:audit:read",
            "certs:audit:read",
            "directory:accounts:read",
            "directory:audit:read",
            "gateway:audit:read",
            "speakers:audit:read",
            "training:audit:read",
        ),
    ),
    (
        "system_admin",
        "human",
        "System administrator: accounts and agencies only",
        (
            "directory:accounts:read",
            "directory:accounts:write",
            "directory:agencies:read",
            "directory:agencies:write",
            "directory:units:write",
        ),
    ),
    (
        "importer",
        "machine",
        "Batch importer of personnel and training records",
        ("directory:persons:import", "training:records:import"),
    ),
    (
        "service",
        "machine",
        "A renshi component (the gateway) resolving principals",
        ("directory:principals:resolve",),
    ),
)


def _catalogue():
    return (
        {(r.name, r.kind, r.description) for r in CATALOGUE},
        {(r.name, p) for r in CATALOGUE for p in r.permissions},
    )


def _first_release():
    return (
        {(name, kind, description) for name, kind, description, _ in FIRST_RELEASE},
        {(name, p) for name, _, _, perms in FIRST_RELEASE for p in perms},
    )


def _stored(engine):
    with engine.connect() as conn:
        roles = {
            tuple(r)
            for r in conn.execute(text("SELECT name, account_kind, description FROM roles"))
        }
        grants = {
            tuple(r) for r in conn.execute(text("SELECT role, permission FROM role_permissions"))
        }
    return roles, grants


def _load_first_release(engine):
    """Make the role tables hold the first release, as a database migrated
    before this catalogue change does."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM role_permissions"))
        conn.execute(text("DELETE FROM roles"))
        for name, kind, description, permissions in FIRST_RELEASE:
            conn.execute(
                text("INSERT INTO roles (name, account_kind, description) VALUES (:n, :k, :d)"),
                {"n": name, "k": kind, "d": description},
            )
            for permission in permissions:
                conn.execute(
                    text("INSERT INTO role_permissions (role, permission) VALUES (:r, :p)"),
                    {"r": name, "p": permission},
                )


def test_fresh_database_at_head_holds_the_catalogue(tmp_path):
    with fresh_database("directory", tmp_path) as url:
        engine = make_engine(url)
        try:
            assert _stored(engine) == _catalogue()
        finally:
            engine.dispose()


def test_upgrading_the_first_release_gives_the_catalogue_and_back(tmp_path):
    with fresh_database("directory", tmp_path, migrate=False) as url:
        upgrade("directory", url, BEFORE_CHANGES)
        engine = make_engine(url)
        try:
            _load_first_release(engine)
            assert _stored(engine) == _first_release()
            upgrade("directory", url)
            assert _stored(engine) == _catalogue()
            downgrade("directory", url, BEFORE_CHANGES)
            assert _stored(engine) == _first_release()
        finally:
            engine.dispose()


HOLDER_OF_A_NEW_ROLE = (
    "INSERT INTO agencies (code, name, type, created_at, updated_at)"
    " VALUES ('A01', 'x', 'competent_authority', :t, :t)",
    "INSERT INTO persons (id, name, agency_code, status, source, updated_at)"
    " VALUES ('P1', 'x', 'A01', 'active', 't', :t)",
    "INSERT INTO accounts (name, kind, person_id, purpose, agency_code, include_subordinates,"
    " status, allowed_networks, created_at)"
    " VALUES ('rev', 'human', 'P1', NULL, 'A01', false, 'active', '[]', :t)",
    "INSERT INTO account_roles (account, role, granted_on)"
    " VALUES ('rev', 'account_reviewer', '2026-01-01')",
)


def test_downgrading_a_fresh_database_restores_the_first_release(tmp_path):
    with fresh_database("directory", tmp_path) as url:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                for statement in HOLDER_OF_A_NEW_ROLE:
                    conn.execute(text(statement), {"t": "2026-01-01"})
            downgrade("directory", url, BEFORE_CHANGES)
            assert _stored(engine) == _first_release()
            with engine.connect() as conn:
                held = conn.execute(text("SELECT role FROM account_roles")).scalars().all()
            assert held == []  # the role is gone, and with it the grant
        finally:
            engine.dispose()


MATCH = "directory:persons:match:agency"


def test_importer_roles_added_as_data_may_match_persons_too(tmp_path):
    """a1d0c0000008 grants national-ID matching to every learning-record importer,
    the catalogue's and those a deployment added for other sources; going back
    withdraws the permission from all of them."""
    with fresh_database("directory", tmp_path, migrate=False) as url:
        upgrade("directory", url, "a1d0c0000007")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    text("DELETE FROM role_permissions WHERE permission = :p"), {"p": MATCH}
                )
                conn.execute(
                    text(
                        "INSERT INTO roles (name, account_kind, description)"
                        " VALUES ('importer_hr_cloud', 'machine', 'added by hand')"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO role_permissions (role, permission)"
                        " VALUES ('importer_hr_cloud', 'training:imports:hr-cloud')"
                    )
                )
            upgrade("directory", url)
            _roles, grants = _stored(engine)
            assert {role for role, permission in grants if permission == MATCH} == {
                "importer_elearn",
                "importer_hr_cloud",
            }
            downgrade("directory", url, "a1d0c0000007")
            _roles, grants = _stored(engine)
            assert not [g for g in grants if g[1].startswith("directory:persons:match")]
        finally:
            engine.dispose()
