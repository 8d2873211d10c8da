"""Revision c3d0c0180010 gives every catalogue version the rank its words say
(the seeded ones and any an officer added), with certificates pointing at them;
afterwards the rank is required and one of three; going back down drops it and
leaves the versions and certificates as they were."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from tests.databases import fresh_database

BEFORE = "c3d0c0170009"
SEEDED = {
    "gov-ai-core": "basic",  # core (no coding)
    "gov-ai-application-planning": "intermediate",  # planning and supervision
    "ipas-ai-planner-intermediate": "intermediate",
    "iii-genai-office": "basic",  # office application: no word of the table
    "microsoft-ai-900": "basic",
    "aws-ai-practitioner": "basic",
    "aws-ml-engineer-associate": "intermediate",
    "gcp-professional-ml-engineer": "advanced",
    "csf-tqc-plus-ai": "advanced",
}
ADDED = {
    "m-expert": ("Expert level", "advanced"),
    "m-zh": ("初級", "basic"),
    "m-mid": ("中級 (intermediate)", "intermediate"),
    "m-unknown": ("Specialist", "basic"),
}
VERSION_INSERT = (
    "INSERT INTO catalogue_versions (id, entry_id, version, name, issuer, kind, level, "
    "{rank_column}roles, sector, created_by, created_at) VALUES (:id, :entry, :version, 'n', "
    "'i', 'tool', :level, {rank_value}'[\"application\"]', 'industry', 't', :now)"
)


def _ranks(conn) -> dict[str, list[tuple[int, str]]]:
    rows = conn.execute(
        text(
            "SELECT e.code, v.version, v.level_rank FROM catalogue_versions v "
            "JOIN catalogue_entries e ON e.id = v.entry_id ORDER BY e.code, v.version"
        )
    ).all()
    out: dict[str, list[tuple[int, str]]] = {}
    for code, version, rank in rows:
        out.setdefault(str(code), []).append((int(version), str(rank)))
    return out


def test_the_upgrade_stores_each_versions_rank_and_downgrade_drops_it(tmp_path) -> None:
    now = datetime.now(UTC)
    with fresh_database("certs", tmp_path, migrate=False) as url:
        upgrade("certs", url, BEFORE)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                for n, (code, (level, _)) in enumerate(sorted(ADDED.items()), start=901):
                    conn.execute(
                        text(
                            "INSERT INTO catalogue_entries (id, code, created_by, created_at) "
                            "VALUES (:id, :code, 't', :now)"
                        ),
                        {"id": n, "code": code, "now": now},
                    )
                    conn.execute(
                        text(VERSION_INSERT.format(rank_column="", rank_value="")),
                        {"id": n, "entry": n, "version": 1, "level": level, "now": now},
                    )
                # A superseded version with other words, and a certificate against
                # each version of the entry: the copy must keep what they point at.
                conn.execute(
                    text(VERSION_INSERT.format(rank_column="", rank_value="")),
                    {"id": 950, "entry": 901, "version": 2, "level": "associate", "now": now},
                )
                for n, version in enumerate((901, 950)):
                    conn.execute(
                        text(
                            "INSERT INTO certificates (person_id, agency_code, "
                            "catalogue_version_id, issuer, certificate_number, obtained_on, "
                            "state, source, registered_by, registered_at) VALUES "
                            "('P1', 'A01', :v, 'i', :n, :obtained, 'verified', 'submitted', "
                            "'t', :now)"
                        ),
                        {"v": version, "n": f"N{n}", "obtained": date(2026, 7, 1), "now": now},
                    )
            engine.dispose()
            upgrade("certs", url)
            engine = make_engine(url)
            with engine.connect() as conn:
                ranks = _ranks(conn)
            expected = {code: [(1, rank)] for code, rank in SEEDED.items()}
            expected.update({code: [(1, rank)] for code, (_, rank) in ADDED.items()})
            expected["m-expert"] = [(1, "advanced"), (2, "intermediate")]
            assert ranks == expected

            # From now on the rank is one of the three, and required.
            for bad in ("expert", "Advanced"):
                with pytest.raises(IntegrityError), engine.begin() as conn:
                    conn.execute(
                        text(VERSION_INSERT.format(rank_column="level_rank, ", rank_value=":r, ")),
                        {"id": 960, "entry": 902, "version": 2, "level": "x", "r": bad, "now": now},
                    )
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(
                    text(VERSION_INSERT.format(rank_column="level_rank, ", rank_value="NULL, ")),
                    {"id": 960, "entry": 902, "version": 2, "level": "x", "now": now},
                )
            engine.dispose()

            downgrade("certs", url, BEFORE)
            engine = make_engine(url)
            columns = {c["name"] for c in inspect(engine).get_columns("catalogue_versions")}
            assert "level_rank" not in columns and "level" in columns
            with engine.begin() as conn:
                kept = conn.execute(
                    text("SELECT catalogue_version_id FROM certificates ORDER BY 1")
                ).all()
                assert [r[0] for r in kept] == [901, 950]
                # The CHECK went with the column: a version as before is accepted.
                conn.execute(
                    text(VERSION_INSERT.format(rank_column="", rank_value="")),
                    {"id": 960, "entry": 902, "version": 2, "level": "x", "now": now},
                )
            engine.dispose()
            upgrade("certs", url)
            engine = make_engine(url)
            with engine.connect() as conn:
                assert _ranks(conn)["m-mid"] == [(1, "intermediate"), (2, "basic")]
        finally:
            engine.dispose()
