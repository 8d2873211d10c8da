"""Revision a1d0c0000017: the certs service's jobs get `service_certs`
(`training:ai_hours:read`); an existing `svc.certs` service account is granted it,
and going back down takes the role from everyone and drops it."""

from __future__ import annotations

from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from tests.databases import fresh_database

BEFORE = "a1d0c0000016"
ACCOUNTS = (
    "INSERT INTO agencies (code, name, type, created_at, updated_at)"
    " VALUES ('A01', 'x', 'competent_authority', :t, :t)",
    "INSERT INTO persons (id, name, agency_code, status, source, updated_at)"
    " VALUES ('P1', 'x', 'A01', 'active', 't', :t)",
    # The certs account of an embedded default seeded before this revision, and
    # another service's account (it gets nothing).
    "INSERT INTO accounts (name, kind, person_id, purpose, agency_code, include_subordinates,"
    " status, allowed_networks, created_at)"
    " VALUES ('svc.certs', 'service', 'P1', 'certs jobs', 'A01', false, 'active',"
    " '[\"127.0.0.1/32\"]', :t)",
    "INSERT INTO accounts (name, kind, person_id, purpose, agency_code, include_subordinates,"
    " status, allowed_networks, created_at)"
    " VALUES ('svc.other', 'service', 'P1', 'other jobs', 'A01', false, 'active',"
    " '[\"127.0.0.1/32\"]', :t)",
)


def _grants(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT account, role FROM account_roles ORDER BY account, role")
            )
        ]


def _permissions(engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT permission FROM role_permissions WHERE role = 'service_certs'")
            ).scalars()
        )


def test_the_certs_account_gets_its_role_and_loses_it_going_back(tmp_path):
    with fresh_database("directory", tmp_path, migrate=False) as url:
        upgrade("directory", url, BEFORE)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                # a1d0c0000004 seeded the catalogue as it stands now: drop the new
                # role, as a database created before it would not have it.
                conn.execute(text("DELETE FROM role_permissions WHERE role = 'service_certs'"))
                conn.execute(text("DELETE FROM roles WHERE name = 'service_certs'"))
                for statement in ACCOUNTS:
                    conn.execute(text(statement), {"t": "2026-01-01"})
            upgrade("directory", url)
            assert _permissions(engine) == ["training:ai_hours:read"]
            assert _grants(engine) == [("svc.certs", "service_certs")]
            downgrade("directory", url, BEFORE)
            assert _grants(engine) == [] and _permissions(engine) == []
            with engine.connect() as conn:
                kinds = conn.execute(
                    text("SELECT account_kind FROM roles WHERE name = 'service_certs'")
                ).all()
            assert kinds == []
            # And up again: the same rows, once.
            upgrade("directory", url)
            assert _grants(engine) == [("svc.certs", "service_certs")]
            assert _permissions(engine) == ["training:ai_hours:read"]
        finally:
            engine.dispose()
