"""The kernel's job claim: one run at a time, once a day unless forced, a failed
or dead run claimable again. On attendance's table; training's is the same."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from services.attendance.models import JobRun
from services.common import job_runs
from services.common.db import make_engine
from services.common.timeutil import now_utc
from tests.databases import fresh_database

DAY = date(2026, 3, 2)
TABLE = JobRun.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with fresh_database("attendance", tmp_path_factory.mktemp("job-runs")) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture(autouse=True)
def _empty(engine):
    yield
    with engine.begin() as conn:
        conn.execute(TABLE.delete())


def _claim(engine, job="j", force=False):
    return job_runs.claim(engine, TABLE, "test", job, DAY, force=force)


def _status(engine, job="j"):
    with engine.connect() as conn:
        return conn.execute(select(TABLE.c.status).where(TABLE.c.job == job)).scalar_one()


def test_a_day_is_claimed_once_unless_forced(engine):
    with _claim(engine) as first:
        assert first.acquired
        first.summary = {"done": 1}
    assert _status(engine) == "done"
    with _claim(engine) as again:
        assert (again.acquired, again.reason, again.summary) == (
            False,
            "already ran today",
            {"done": 1},
        )
    with _claim(engine, force=True) as forced:
        assert forced.acquired


def test_a_run_in_progress_is_not_run_twice_even_when_forced(engine):
    with _claim(engine) as first:
        assert first.acquired
        with _claim(engine, force=True) as second:
            assert (second.acquired, second.reason) == (False, "running elsewhere")
        with _claim(engine, job="other") as unrelated:
            assert unrelated.acquired


def test_a_failed_run_is_marked_and_may_be_claimed_again(engine):
    with pytest.raises(RuntimeError), _claim(engine) as claim:
        assert claim.acquired
        raise RuntimeError("the peer fell over")
    assert _status(engine) == "failed"
    with _claim(engine) as retry:
        assert retry.acquired


def test_a_run_that_died_is_claimable_once_stale(engine):
    with engine.begin() as conn:
        conn.execute(
            TABLE.insert().values(
                job="j", day=DAY, status="running", started_at=now_utc(), summary={}
            )
        )
    with _claim(engine, force=True) as fresh:
        assert not fresh.acquired
    with engine.begin() as conn:
        conn.execute(update(TABLE).values(started_at=now_utc() - job_runs.STALE_AFTER))
    with _claim(engine, force=True) as stale:
        assert stale.acquired


def test_advisory_keys_differ_by_service():
    assert job_runs.advisory_key("training", "x") != job_runs.advisory_key("attendance", "x")
