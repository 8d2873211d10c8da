"""Revision c3d0c0170009 recounts every person with their live roles and the
bits of their valid certificates for the Taipei day of the upgrade; going back
down drops the columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text

from services.certs.domain.staffing import kind_level_bit, role_level_bit, roles_bits
from services.certs.domain.talent import Level
from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from services.common.timeutil import today_taipei
from tests.databases import fresh_database

BEFORE = "c3d0c0160008"


def test_the_upgrade_fills_the_masks_and_downgrade_drops_them(tmp_path):
    today = today_taipei()
    now = datetime.now(UTC)
    with fresh_database("certs", tmp_path, migrate=False) as url:
        upgrade("certs", url, BEFORE)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO catalogue_entries (id, code, created_by, created_at) "
                        "VALUES (901, 'm-ipas', 't', :now), (902, 'm-gcp', 't', :now)"
                    ),
                    {"now": now},
                )
                conn.execute(
                    text(
                        "INSERT INTO catalogue_versions (id, entry_id, version, name, issuer, "
                        "kind, level, roles, sector, created_by, created_at) VALUES "
                        "(901, 901, 1, 'n', 'i', 'tool', 'intermediate (中級)', "
                        "'[\"application\", \"policy\"]', 'industry', 't', :now), "
                        "(902, 902, 1, 'n', 'i', 'project_technical', 'professional', "
                        "'[\"development\"]', 'industry', 't', :now)"
                    ),
                    {"now": now},
                )
                conn.execute(
                    text(
                        "INSERT INTO talent_persons (person_id, agency_code, unit_id, "
                        "refreshed_at) VALUES ('P1', 'A01', '', :now), ('P2', 'A01', '', :now)"
                    ),
                    {"now": now},
                )
                conn.execute(
                    text(
                        "INSERT INTO talent_roles (person_id, agency_code, role, reason, "
                        "assigned_by, assigned_at, ended_at) VALUES "
                        "('P1', 'A01', 'policy', 'r', 't', :now, NULL), "
                        "('P1', 'A01', 'research', 'r', 't', :now, :now)"
                    ),
                    {"now": now},
                )
                # Valid; lapsing today (not valid); revoked: only the first counts.
                for n, (version, lapses, state) in enumerate(
                    ((901, None, "verified"), (902, today, "verified"), (902, None, "revoked"))
                ):
                    conn.execute(
                        text(
                            "INSERT INTO certificates (person_id, agency_code, "
                            "catalogue_version_id, issuer, certificate_number, obtained_on, "
                            "expires_on, state, source, registered_by, registered_at) VALUES "
                            "('P1', 'A01', :v, 'i', :n, :obtained, :lapses, :state, "
                            "'submitted', 't', :now)"
                        ),
                        {
                            "v": version,
                            "n": f"N{n}",
                            "obtained": today - timedelta(days=30),
                            "lapses": lapses,
                            "state": state,
                            "now": now,
                        },
                    )
            engine.dispose()
            upgrade("certs", url)
            engine = make_engine(url)
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT person_id, valid_certificates, live_roles, valid_mask, "
                        "valid_for_policy, valid_for_application, valid_for_development, "
                        "valid_for_research FROM talent_persons ORDER BY person_id"
                    )
                ).all()
            engine.dispose()
            mask = (
                kind_level_bit("tool", Level.INTERMEDIATE)
                | role_level_bit("application", Level.INTERMEDIATE)
                | role_level_bit("policy", Level.INTERMEDIATE)
            )
            assert [tuple(r) for r in rows] == [
                ("P1", 1, roles_bits({"policy"}), mask, 1, 1, 0, 0),
                ("P2", 0, 0, 0, 0, 0, 0, 0),
            ]
            downgrade("certs", url, BEFORE)
            engine = make_engine(url)
            columns = {c["name"] for c in inspect(engine).get_columns("talent_persons")}
            assert "valid_mask" not in columns and "valid_certificates" in columns
        finally:
            engine.dispose()
