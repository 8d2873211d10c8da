"""`renshi jobs run NAME --as-of DATE`: the expiry job run for a chosen day
through the command line, settling each case, catching up on missed days, and
the settlement queue that shows the rule applied and the refusal behind it."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from renshi.cli import main
from services.attendance.domain.comptime import expiry_date
from services.attendance.models import JobRun
from services.common.db import make_engine
from services.common.timeutil import today_taipei
from tests.attendance.builders import ROSTER, approved_grant, balance, import_roster, leave

# Refusals are dated today, so the grants must still be running today.
EARNED = today_taipei() - timedelta(days=300)
LAPSE = expiry_date(EARNED) + timedelta(days=1)
LEAVE_AT = f"{(today_taipei() + timedelta(days=7)).isoformat()}T09:00:00+08:00"


@pytest.fixture
def cli_env(monkeypatch, service_urls):
    """`renshi jobs run` reads the service's settings from the environment."""
    monkeypatch.setenv("ATTENDANCE_DATABASE_URL", service_urls["attendance"])
    monkeypatch.setenv("ATTENDANCE_ENVIRONMENT", "test")
    return service_urls["attendance"]


JOB_RUNS = JobRun.__table__  # type: ignore[attr-defined]


def _run(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["jobs", "run", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def _refuse(api, actors, minutes: int = 60, reason: str = "business_necessity") -> int:
    request = leave(api, actors, LEAVE_AT, minutes)
    response = api.post(
        f"/comp-leave/{request['id']}/refuse",
        headers=actors.supervisor(),
        json={"reason": reason, "note": "year-end closing"},
    )
    assert response.status_code == 200, response.text
    return int(request["id"])


def _queue(api, actors, **params) -> list[dict]:
    response = api.get("/settlements", params={"agency_code": "A01", **params}, headers=actors.hr)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _status(api, actors, status: str) -> None:
    rows = [dict(r, status=status) if r["person_id"] == "E1" else r for r in ROSTER]
    import_roster(api, actors, rows)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("refused", ("pay", "paid", "200")),
        ("budget_exhausted", ("commendation", "commendation_budget_exhausted", "0")),
        ("left", ("pay", "paid_left_or_deceased", "200")),
        ("deceased", ("pay", "paid_left_or_deceased", "200")),
        ("not_applied", None),
    ],
)
def test_jobs_run_as_of_settles_each_case(api, actors, roster, cli_env, capsys, case, expected):
    approved_grant(api, actors, EARNED, 120)
    refusal_id = None if case == "not_applied" else _refuse(api, actors)
    if case in ("left", "deceased"):
        _status(api, actors, case)
    if case == "budget_exhausted":
        response = api.put(
            "/agencies/A01/policy", headers=actors.hr, json={"budget_exhausted": True}
        )
        assert response.status_code == 200
    # The day before the lapse settles nothing; the lapse day does.
    code, before, _ = _run(
        capsys, "attendance.expire", "--as-of", (LAPSE - timedelta(1)).isoformat()
    )
    assert code == 0 and before is not None
    assert (before["settlements"], before["expired_minutes"]) == (0, 0)
    code, summary, _ = _run(capsys, "attendance.expire", "--as-of", LAPSE.isoformat())
    assert code == 0 and summary is not None
    assert summary["day"] == LAPSE.isoformat()
    queue = _queue(api, actors)
    if expected is None:
        assert queue == []
        assert (summary["settlements"], summary["expired_minutes"]) == (0, 120)
    else:
        (row,) = queue
        assert (row["outcome"], row["rule"], str(int(float(row["amount"])))) == expected
        assert (row["minutes"], row["expired_on"]) == (60, LAPSE.isoformat())
        assert row["refusal"]["leave_request_id"] == refusal_id
        assert row["refusal"]["reason"] == "business_necessity"
        assert row["refusal"]["note"] == "year-end closing"
        assert row["refusal"]["refused_on"] == today_taipei().isoformat()
        assert (summary["settlements"], summary["expired_minutes"]) == (1, 60)
    assert balance(api, actors)["balance_minutes"] == 0
    # Run again, even forced: nothing is settled twice.
    code, again, _ = _run(capsys, "attendance.expire", "--as-of", LAPSE.isoformat())
    assert again is not None and again["skipped"] == "already ran today"
    code, forced, _ = _run(capsys, "attendance.expire", "--as-of", LAPSE.isoformat(), "--force")
    assert code == 0 and forced is not None
    assert (forced["settlements"], forced["expired_minutes"]) == (0, 0)
    assert len(_queue(api, actors)) == (0 if expected is None else 1)


def _three_lapse_days() -> list[tuple[date, date]]:
    """Three earning days whose grants lapse on three consecutive days."""
    start = EARNED
    while True:
        earned = [start + timedelta(days=n) for n in range(3)]
        lapses = [expiry_date(d) + timedelta(days=1) for d in earned]
        if all(b - a == timedelta(days=1) for a, b in itertools.pairwise(lapses)):
            return list(zip(earned, lapses, strict=True))
        start += timedelta(days=1)


def test_expiry_catches_up_on_three_missed_days(api, actors, roster, cli_env, capsys):
    days = _three_lapse_days()
    for earned, _ in days:
        approved_grant(api, actors, earned, 60)
    # One refusal drew on all three grants.
    refusal_id = _refuse(api, actors, minutes=180)
    first_lapse, last_lapse = days[0][1], days[-1][1]
    # The last run before the outage: the day before the first lapse.
    last_run = first_lapse - timedelta(days=1)
    code, summary, _ = _run(capsys, "attendance.expire", "--as-of", last_run.isoformat())
    assert code == 0 and summary is not None and summary["settlements"] == 0
    # The three lapse days are missed; the next run is the day after.
    resumed = last_lapse + timedelta(days=1)
    code, summary, _ = _run(capsys, "attendance.expire", "--as-of", resumed.isoformat())
    assert code == 0 and summary is not None
    assert summary["caught_up"] == [lapse.isoformat() for _, lapse in days]
    assert summary["settlements"] == 3
    # Each lapse settled as of its own day, each resting on the refusal.
    queue = sorted(_queue(api, actors), key=lambda r: r["expired_on"])
    assert [r["expired_on"] for r in queue] == [lapse.isoformat() for _, lapse in days]
    assert {r["refusal"]["leave_request_id"] for r in queue} == {refusal_id}
    assert {r["rule"] for r in queue} == {"paid"}
    # Each missed day has its own run, which settled that day's lapse.
    engine = make_engine(cli_env)
    try:
        with engine.connect() as conn:
            runs = {
                r.day: r for r in conn.execute(select(JOB_RUNS).where(JOB_RUNS.c.job == "expire"))
            }
    finally:
        engine.dispose()
    assert sorted(runs) == [last_run, *[lapse for _, lapse in days], resumed]
    assert {r.status for r in runs.values()} == {"done"}
    assert [runs[lapse].summary["settlements"] for _, lapse in days] == [1, 1, 1]
    assert runs[resumed].summary["caught_up"] == summary["caught_up"]
    # Filters: by the day the hours lapsed, and by rule.
    middle = days[1][1].isoformat()
    assert [r["expired_on"] for r in _queue(api, actors, **{"from": middle, "to": middle})] == [
        middle
    ]
    assert _queue(api, actors, rule="commendation_budget_exhausted") == []
    assert len(_queue(api, actors, rule="paid", outcome="pay")) == 3
    # Idempotent: a forced rerun of the catch-up settles nothing twice.
    code, again, _ = _run(capsys, "attendance.expire", "--as-of", resumed.isoformat(), "--force")
    assert code == 0 and again is not None
    assert (again["settlements"], again["expired_minutes"], again["caught_up"]) == (0, 0, [])
    assert len(_queue(api, actors)) == 3


def test_future_as_of_is_refused_in_production(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("ATTENDANCE_ENVIRONMENT", "production")
    tomorrow = (today_taipei() + timedelta(days=2)).isoformat()
    code, summary, err = _run(capsys, "attendance.expire", "--as-of", tomorrow)
    assert (code, summary) == (2, None)
    assert "production" in err and tomorrow in err


@pytest.mark.parametrize(
    ("as_of", "message"),
    [("1911-12-31", "before 1912-01-01"), ("2025-02-30", "YYYY-MM-DD"), ("20250101", "YYYY-MM-DD")],
)
def test_bad_as_of_is_refused(cli_env, capsys, as_of, message):
    code, summary, err = _run(capsys, "attendance.expire", "--as-of", as_of)
    assert (code, summary) == (2, None)
    assert message in err


def test_unknown_job_lists_the_valid_names(capsys):
    code, summary, err = _run(capsys, "attendance.nope")
    assert (code, summary) == (2, None)
    assert "attendance.nope" in err
    for name in ("attendance.expire", "directory.disable-leavers", "training.sync-rosters"):
        assert name in err


def test_help_lists_jobs_and_options(capsys):
    for argv in (["jobs", "--help"], ["jobs", "run", "--help"]):
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        assert stopped.value.code == 0
        out = capsys.readouterr().out
        assert "attendance.expire" in out and "5 0 * * *" in out
        assert "Settle refused hours and expire what lapsed" in out
    assert "--as-of" in out and "--force" in out


def test_catch_up_is_bounded_and_starts_after_the_last_run(job_settings):
    from services.attendance.jobs import CATCH_UP_DAYS, _catch_up_days
    from services.attendance.store import job_runs

    day = date(2026, 6, 1)
    engine = make_engine(job_settings.database_url)
    try:
        assert _catch_up_days(engine, day) == [day]  # the first run ever
        job_runs.record_done(engine, "expire", day - timedelta(days=400), {})
        bounded = _catch_up_days(engine, day)
        assert len(bounded) == CATCH_UP_DAYS == 366
        assert (bounded[0], bounded[-1]) == (day - timedelta(days=365), day)
        job_runs.record_done(engine, "expire", day - timedelta(days=4), {})
        assert _catch_up_days(engine, day) == [day - timedelta(days=n) for n in (3, 2, 1, 0)]
        job_runs.record_done(engine, "expire", day - timedelta(days=1), {})
        assert _catch_up_days(engine, day) == [day]
        # A run for a later day (a rehearsal) is not a run before this one.
        job_runs.record_done(engine, "expire", day + timedelta(days=5), {})
        assert _catch_up_days(engine, day) == [day]
    finally:
        engine.dispose()


def test_as_of_rules():
    from renshi.jobs import AsOfRefused, check_as_of, parse_as_of

    today = date(2026, 12, 2)
    assert parse_as_of("1912-01-01") == date(1912, 1, 1)
    check_as_of(today, "production", today)  # today and earlier: always
    check_as_of(date(2020, 1, 1), "production", today)
    check_as_of(today + timedelta(days=30), "development", today)
    check_as_of(today + timedelta(days=30), "test", today)
    with pytest.raises(AsOfRefused, match="production"):
        check_as_of(today + timedelta(days=1), "production", today)
    for bad in ("", "2026-1-2", "2026/01/02", "yesterday"):
        with pytest.raises(AsOfRefused):
            parse_as_of(bad)
