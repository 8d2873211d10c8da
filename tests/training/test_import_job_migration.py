"""The revision that keeps each import job's agencies leaves the jobs already
stored with none, so that only the account that started them reads them."""

from __future__ import annotations

from sqlalchemy import select, text

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from services.training.models import ImportJob
from tests.databases import fresh_database

BEFORE = "b2d0c0000003"


def test_jobs_stored_before_get_an_empty_scope(tmp_path):
    with fresh_database("training", tmp_path, migrate=False) as url:
        upgrade("training", url, BEFORE)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                # Written as the previous revision's table stands: no agency_scope.
                conn.execute(
                    text(
                        "INSERT INTO import_jobs (source, format, encoding, dry_run, status, "
                        "created_by, created_at, heartbeat_at, committed_row, committed_digest, "
                        "rows_read, inserted, updated, unchanged, failed) VALUES ('elearn', "
                        "'csv', 'utf-8', false, 'completed', 'importer.elearn', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, '', 0, 0, 0, 0, 0)"
                    )
                )
            engine.dispose()
            upgrade("training", url)
            jobs = ImportJob.__table__  # type: ignore[attr-defined]
            with engine.begin() as conn:
                assert conn.execute(select(jobs.c.created_by, jobs.c.agency_scope)).all() == [
                    ("importer.elearn", [])
                ]
                # New jobs name their agencies; the column reads back as a list.
                conn.execute(
                    jobs.update().where(jobs.c.id == 1).values(agency_scope=["A01", "A0101"])
                )
                assert conn.execute(select(jobs.c.agency_scope)).scalar_one() == ["A01", "A0101"]
            engine.dispose()
            downgrade("training", url, BEFORE)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT created_by FROM import_jobs")).all() == [
                    ("importer.elearn",)
                ]
        finally:
            engine.dispose()
