"""The job scheduler: cron expressions in Asia/Taipei, what is due at a given
moment, the loop on a simulated clock (nothing here waits for real time),
and the deployment files that run the same schedule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time as _time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from renshi.jobs import (
    MAX_SLEEP_SECONDS,
    TAIPEI,
    Cron,
    due_jobs,
    next_wake,
    registry,
    schedule_loop,
    schedules,
    start_of_day,
)
from services.attendance.jobs import SCHEDULE
from services.common.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
ATTENDANCE = {f"attendance.{name}": Cron.parse(expr) for name, expr in SCHEDULE.items()}


def taipei(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


# ------------------------------------------------------------------ cron


def test_daily_cron_fires_after_five_past_midnight_taipei():
    cron = Cron.parse("5 0 * * *")
    assert cron.next_after(taipei("2025-01-01T00:04:59")) == taipei("2025-01-01T00:05")
    assert cron.next_after(taipei("2025-01-01T00:05")) == taipei("2025-01-02T00:05")
    # 16:04 UTC on 31 Dec is already 00:04 on 1 Jan in Taipei.
    after = cron.next_after(datetime(2024, 12, 31, 16, 4, tzinfo=UTC))
    assert after == taipei("2025-01-01T00:05")
    assert after.astimezone(UTC) == datetime(2024, 12, 31, 16, 5, tzinfo=UTC)


def test_monthly_cron_fires_on_the_first_and_crosses_the_year():
    cron = Cron.parse("10 0 1 * *")
    assert cron.next_after(taipei("2025-01-01T00:10")) == taipei("2025-02-01T00:10")
    assert cron.next_after(taipei("2025-12-15T12:00")) == taipei("2026-01-01T00:10")


def test_steps_ranges_lists_and_weekdays():
    assert Cron.parse("*/5 * * * *").next_after(taipei("2025-03-01T10:02")) == taipei(
        "2025-03-01T10:05"
    )
    assert Cron.parse("0 9-17/4 * * *").hours == (9, 13, 17)
    assert Cron.parse("0,30 8 * * *").minutes == (0, 30)
    # 2025-03-01 is a Saturday; weekday 7 and 0 are both Sunday.
    assert Cron.parse("0 8 * * 7").next_after(taipei("2025-03-01T00:00")) == taipei(
        "2025-03-02T08:00"
    )
    # Day and weekday both restricted: either fires, as in cron.
    either = Cron.parse("0 8 15 * 1")
    assert either.next_after(taipei("2025-03-01T00:00")) == taipei("2025-03-03T08:00")
    assert either.next_after(taipei("2025-03-13T00:00")) == taipei("2025-03-15T08:00")


def test_29_february_is_found_years_ahead():
    assert Cron.parse("0 0 29 2 *").next_after(taipei("2024-03-01T00:00")) == taipei(
        "2028-02-29T00:00"
    )


@pytest.mark.parametrize(
    "expression",
    ["5 0 * *", "60 0 * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "*/0 * * * *",
     "0 0 30 2 *", "0 0 * JAN *", "5-1 * * * *"],
)  # fmt: skip
def test_malformed_or_impossible_expressions_are_refused(expression):
    with pytest.raises(ValueError):
        Cron.parse(expression)


# ------------------------------------------------------------- decisions


def test_started_during_the_day_it_catches_up_on_that_days_runs_only():
    now = taipei("2025-03-02T09:00")
    due = due_jobs(ATTENDANCE, start_of_day(now), now)
    assert due == ("attendance.expire", "attendance.lead-warnings", "attendance.deliver-notices")
    first_of_month = taipei("2025-03-01T09:00")
    assert "attendance.monthly-warnings" in due_jobs(
        ATTENDANCE, start_of_day(first_of_month), first_of_month
    )


def test_a_run_firing_exactly_at_midnight_counts_for_the_new_day():
    midnight = taipei("2025-03-02T00:00")
    assert due_jobs(ATTENDANCE, start_of_day(midnight), midnight) == ("attendance.deliver-notices",)


def test_what_is_due_at_each_moment_of_the_night_of_the_first():
    def due(since: str, now: str) -> set[str]:
        names = due_jobs(ATTENDANCE, taipei(since), taipei(now))
        return {n.removeprefix("attendance.") for n in names}

    assert due("2025-03-01T00:00", "2025-03-01T00:04:59") == set()
    assert due("2025-03-01T00:04:59", "2025-03-01T00:05") == {"expire", "deliver-notices"}
    assert due("2025-03-01T00:05", "2025-03-01T00:09:59") == set()
    assert due("2025-03-01T00:09", "2025-03-01T00:10") == {"monthly-warnings", "deliver-notices"}
    assert due("2025-03-01T00:14", "2025-03-01T00:15") == {"lead-warnings", "deliver-notices"}
    # On the 2nd the monthly job stays quiet.
    assert due("2025-03-02T00:09", "2025-03-02T00:10") == {"deliver-notices"}


def test_a_long_pause_runs_each_job_once():
    due = due_jobs(ATTENDANCE, taipei("2025-02-27T00:00"), taipei("2025-03-03T12:00"))
    assert sorted(due) == sorted(ATTENDANCE)
    assert len(due) == len(set(due))


def test_a_failed_job_is_due_again_at_its_retry_time():
    retry = {"attendance.expire": taipei("2025-03-02T09:05")}
    early = due_jobs(ATTENDANCE, taipei("2025-03-02T09:01"), taipei("2025-03-02T09:04"), retry)
    assert early == ()
    later = due_jobs(ATTENDANCE, taipei("2025-03-02T09:04"), taipei("2025-03-02T09:05"), retry)
    assert set(later) == {"attendance.expire", "attendance.deliver-notices"}


def test_next_wake_is_the_earliest_firing_or_retry():
    assert next_wake(ATTENDANCE, taipei("2025-03-02T00:03")) == taipei("2025-03-02T00:05")
    retry = {"attendance.expire": taipei("2025-03-02T00:04")}
    assert next_wake(ATTENDANCE, taipei("2025-03-02T00:03"), retry) == taipei("2025-03-02T00:04")
    daily = {"attendance.expire": ATTENDANCE["attendance.expire"]}
    assert next_wake(daily, taipei("2025-03-02T00:05")) == taipei("2025-03-03T00:05")
    with pytest.raises(ValueError):
        next_wake({}, taipei("2025-03-02T00:05"))


# ------------------------------------------------------------------ loop


class _Finished(Exception):
    pass


class SimulatedClock:
    """A clock that only moves when the loop sleeps or a job takes time."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.now = start
        self.end = end
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        if self.now > self.end:
            raise _Finished


def test_loop_runs_each_job_at_its_time_and_retries_a_failure():
    clock = SimulatedClock(taipei("2025-02-28T23:58"), taipei("2025-03-01T00:21"))
    runs: list[tuple[str, str]] = []
    failures = {"attendance.lead-warnings": 1}

    def job(name: str) -> Any:
        def run() -> dict[str, Any]:
            runs.append((clock.now.strftime("%d %H:%M"), name.removeprefix("attendance.")))
            if failures.get(name):
                failures[name] -= 1
                raise RuntimeError("database unavailable")
            clock.now += timedelta(seconds=2)  # jobs take time
            return {"job": name}

        return run

    jobs = {name: job(name) for name in ATTENDANCE}
    with pytest.raises(_Finished):
        schedule_loop(jobs, ATTENDANCE, clock=clock, sleep=clock.sleep)
    assert runs == [
        # Started late on the 28th: that day's runs are caught up at once.
        ("28 23:58", "expire"),
        ("28 23:58", "lead-warnings"),  # fails, retried five minutes later
        ("28 23:58", "deliver-notices"),
        ("01 00:00", "deliver-notices"),
        ("01 00:03", "lead-warnings"),
        ("01 00:05", "expire"),
        ("01 00:05", "deliver-notices"),
        ("01 00:10", "monthly-warnings"),
        ("01 00:10", "deliver-notices"),
        ("01 00:15", "lead-warnings"),
        ("01 00:15", "deliver-notices"),
        ("01 00:20", "deliver-notices"),
    ]
    assert all(0 <= s <= MAX_SLEEP_SECONDS for s in clock.sleeps)


def test_loop_refuses_a_schedule_naming_an_unknown_job():
    clock = SimulatedClock(taipei("2025-03-01T00:00"), taipei("2025-03-01T00:01"))
    with pytest.raises(ValueError, match="do not exist"):
        schedule_loop({}, ATTENDANCE, clock=clock, sleep=clock.sleep)


def test_every_declared_schedule_names_a_registered_job():
    found = schedules()
    assert set(ATTENDANCE) <= set(found)
    assert set(found) <= set(registry())


# ------------------------------------------------------------ deployment


def test_procfile_runs_the_scheduler():
    lines = (ROOT / "deploy" / "Procfile").read_text().splitlines()
    assert "scheduler: renshi jobs schedule" in lines


@pytest.mark.parametrize("service", ["attendance", "training", "certs", "speakers", "directory"])
def test_kubernetes_cronjobs_match_the_schedule(service):
    import importlib

    yaml = pytest.importorskip("yaml")
    schedule = importlib.import_module(f"services.{service}.jobs").SCHEDULE
    path = ROOT / f"deploy/k8s/base/{service}-cronjobs.yaml"
    documents = list(yaml.safe_load_all(path.read_text()))
    seen = {}
    for doc in documents:
        assert doc["kind"] == "CronJob"
        spec = doc["spec"]
        assert spec["timeZone"] == "Asia/Taipei"
        assert spec["concurrencyPolicy"] == "Forbid"
        (container,) = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        renshi, jobs, run, name = container["command"]
        assert (renshi, jobs, run) == ("renshi", "jobs", "run")
        seen[name] = spec["schedule"]
    assert seen == {f"{service}.{name}": expr for name, expr in schedule.items()}


@pytest.mark.slow
def test_scheduler_process_stops_promptly_on_sigterm(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTENDANCE_")}
    env["RENSHI_VAR_DIR"] = str(tmp_path)
    upgrade("attendance", f"sqlite:///{tmp_path / 'attendance.db'}")
    process = subprocess.Popen(
        [sys.executable, "-m", "renshi", "jobs", "schedule"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        # Blocking reads of its log: the start-up catch-up always delivers notices.
        for line in process.stderr:
            if "scheduled job ran" in line and "attendance.deliver-notices" in line:
                break
        else:
            raise AssertionError("the scheduler exited before running a job")
        process.send_signal(signal.SIGTERM)
        started = _time.monotonic()
        # communicate() keeps draining its log while waiting: a pipe left full
        # would block the scheduler's own last lines, and so its exit.
        _, rest = process.communicate(timeout=5)
        assert process.returncode == 0
        assert _time.monotonic() - started < 5
        assert "scheduler stopped" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
