"""Revision a1d0c0000014 on a database that still has `lecturer_searcher`
holders: each eligible holder keeps searching through a grant (within the
quota), the role goes, and going back down gives the role back."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from services.common.timeutil import today_taipei
from tests.databases import fresh_database

BEFORE = "a1d0c0000011"


def _seed(conn) -> None:
    conn.execute(
        text(
            "INSERT INTO roles (name, account_kind, description) VALUES "
            "('lecturer_searcher', 'human', 'searcher')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO role_permissions (role, permission) VALUES "
            "('lecturer_searcher', 'speakers:search')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO agencies (code, name, type, created_at, updated_at) VALUES "
            "('S01', 'sub', 'subordinate', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
            "('K01', 'school', 'school', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    # 12 in service at S01 (10 places), one who left, one training officer, one at a school.
    people = [(f"S01-{i:02d}", "S01", "active") for i in range(1, 13)]
    people += [
        ("S01-LEFT", "S01", "left"),
        ("S01-OFF", "S01", "active"),
        ("K01-01", "K01", "active"),
    ]
    for pid, agency, status in people:
        conn.execute(
            text(
                "INSERT INTO persons (id, name, agency_code, status, source, updated_at) "
                "VALUES (:id, 'x', :agency, :status, 'test', CURRENT_TIMESTAMP)"
            ),
            {"id": pid, "agency": agency, "status": status},
        )
        name = pid.lower()
        conn.execute(
            text(
                "INSERT INTO accounts (name, kind, person_id, agency_code, include_subordinates,"
                " status, allowed_networks, created_at) VALUES (:name, 'human', :id, :agency,"
                " false, 'active', '[]', CURRENT_TIMESTAMP)"
            ),
            {"name": name, "id": pid, "agency": agency},
        )
        conn.execute(
            text(
                "INSERT INTO account_roles (account, role, granted_on) VALUES "
                "(:name, 'lecturer_searcher', :day)"
            ),
            {"name": name, "day": date(2026, 1, 5)},
        )
    conn.execute(
        text(
            "INSERT INTO account_roles (account, role, granted_on) VALUES "
            "('s01-off', 'training_officer', :day)"
        ),
        {"day": date(2026, 1, 5)},
    )


def test_holders_of_the_retired_role_become_grants(tmp_path):
    with fresh_database("directory", tmp_path, migrate=False) as url:
        engine = make_engine(url)
        try:
            upgrade("directory", url, BEFORE)
            with engine.begin() as conn:
                _seed(conn)
            upgrade("directory", url)
            with engine.connect() as conn:
                grants = conn.execute(
                    text(
                        "SELECT grantee_account, agency_code, granted_by, ends_on"
                        " FROM search_grants ORDER BY grantee_account"
                    )
                ).all()
                left = conn.execute(
                    text("SELECT count(*) FROM account_roles WHERE role = 'lecturer_searcher'")
                ).scalar_one()
                role = conn.execute(
                    text("SELECT count(*) FROM roles WHERE name = 'lecturer_searcher'")
                ).scalar_one()
            assert [g[0] for g in grants] == [f"s01-{i:02d}" for i in range(1, 11)]
            assert {g[1] for g in grants} == {"S01"}
            assert {g[2] for g in grants} == {"migration-a1d0c0000014"}
            ends = {date.fromisoformat(str(g[3])) for g in grants}
            assert len(ends) == 1
            assert abs((ends.pop() - today_taipei()) - timedelta(days=90)) <= timedelta(days=1)
            assert (left, role) == (0, 0)
            downgrade("directory", url, BEFORE)
            with engine.connect() as conn:
                back = conn.execute(
                    text(
                        "SELECT account FROM account_roles WHERE role = 'lecturer_searcher'"
                        " ORDER BY account"
                    )
                ).scalars()
                assert list(back) == [f"s01-{i:02d}" for i in range(1, 11)]
        finally:
            engine.dispose()
