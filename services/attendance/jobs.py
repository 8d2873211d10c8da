"""Scheduled jobs of the attendance service (`renshi jobs run attendance.<name>`,
run on `SCHEDULE` by `renshi jobs schedule`).

Each job reads `AttendanceSettings()` for its database, takes the day's
claim so that one replica runs it (see `store.job_runs`), and is idempotent:
a second run on the same day is skipped, and even a forced rerun finds
nothing left to do (expired grants hold no minutes; notices have dedupe keys).
`as_of` (default today in Taipei) runs a job for any Taipei day: to catch up
after an outage, and in rehearsals and tests (`renshi jobs run --as-of`).

The expiry job catches up by itself: run for day D when its last completed
run was for a day L before D - 1, it runs every day L + 1 .. D in order, so
that each day's lapses are settled and expired as of that day, and records a
run for each. At most CATCH_UP_DAYS are run; grants that lapsed before them
are still settled and expired on the first, each as of the day it lapsed.
Settlements use the person's status and the agency's budget flag as they
stand when the run happens (neither has a history).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.attendance.service import notices, warnings
from services.attendance.service.comptime import expire_person
from services.attendance.settings import AttendanceSettings
from services.attendance.store import job_runs, roster
from services.attendance.store import ledger as ledger_store
from services.common.db import make_engine
from services.common.timeutil import today_taipei
from services.common.transactions import batch_transaction

# Persons per transaction in the expiry job: short transactions keep the
# SQLite write lock (and PostgreSQL row locks) brief for concurrent requests.
EXPIRY_BATCH = 200
# How many days back the expiry job catches up at most.
CATCH_UP_DAYS = 366

Body = Callable[[Engine, AttendanceSettings, date], dict[str, Any]]


def _run(
    name: str,
    body: Body,
    settings: AttendanceSettings | None,
    as_of: date | None,
    force: bool,
) -> dict[str, Any]:
    settings = settings or AttendanceSettings()
    day = as_of or today_taipei()
    engine = make_engine(settings.database_url)
    try:
        with job_runs.claim(engine, name, day, force=force) as claim:
            if not claim.acquired:
                return {"job": name, "day": day.isoformat(), "skipped": claim.reason}
            claim.summary = {"job": name, "day": day.isoformat(), **body(engine, settings, day)}
            return claim.summary
    finally:
        engine.dispose()


def _expire(engine: Engine, _settings: AttendanceSettings, today: date) -> dict[str, Any]:
    with Session(engine) as session:
        persons = ledger_store.persons_with_lapsed_minutes(session, today)
    expired = settled = missing = 0
    for start in range(0, len(persons), EXPIRY_BATCH):
        # One transaction per batch, write-locked from its first read on SQLite.
        with batch_transaction(engine, write_lock=True) as session:
            people = roster.by_ids(session, persons[start : start + EXPIRY_BATCH])
            for person_id in persons[start : start + EXPIRY_BATCH]:
                person = people.get(person_id)
                if person is None:
                    # Without a roster row there is no status or rate to settle
                    # with; the grant waits for the roster import.
                    missing += 1
                    continue
                result = expire_person(session, person, today)
                expired += result.expired_minutes
                settled += len(result.settlements)
    return {
        "persons": len(persons),
        "expired_minutes": expired,
        "settlements": settled,
        "missing_roster": missing,
    }


def _catch_up_days(engine: Engine, day: date) -> list[date]:
    """The days the expiry run for `day` covers: every day since the last
    completed run before it (at most CATCH_UP_DAYS), then `day`."""
    last = job_runs.last_done(engine, "expire", before=day)
    if last is None:
        return [day]
    first = max(last + timedelta(days=1), day - timedelta(days=CATCH_UP_DAYS - 1))
    return [first + timedelta(days=n) for n in range((day - first).days + 1)]


def _expire_catching_up(engine: Engine, settings: AttendanceSettings, day: date) -> dict[str, Any]:
    days = _catch_up_days(engine, day)
    totals = {"persons": 0, "expired_minutes": 0, "settlements": 0, "missing_roster": 0}
    caught_up: list[str] = []
    for each in days:
        summary = _expire(engine, settings, each)
        for key in totals:
            totals[key] += summary[key]
        if each != day:
            # The missed day's run is done: a later run does not repeat it.
            job_runs.record_done(
                engine,
                "expire",
                each,
                {
                    "job": "expire",
                    "day": each.isoformat(),
                    "caught_up_by": day.isoformat(),
                    **summary,
                },
            )
            caught_up.append(each.isoformat())
    return {**totals, "caught_up": caught_up}


def _monthly(engine: Engine, settings: AttendanceSettings, today: date) -> dict[str, Any]:
    with batch_transaction(engine, write_lock=True) as session:
        summary = warnings.monthly_notices(session, today)
    delivered = notices.deliver(engine, settings)
    return {
        **summary,
        "webhook": delivered.webhook,
        "email": delivered.email,
        "delivery_failures": delivered.failed,
    }


def _lead(engine: Engine, settings: AttendanceSettings, today: date) -> dict[str, Any]:
    with batch_transaction(engine, write_lock=True) as session:
        summary = warnings.lead_time_notices(session, today)
    delivered = notices.deliver(engine, settings)
    return {
        **summary,
        "webhook": delivered.webhook,
        "email": delivered.email,
        "delivery_failures": delivered.failed,
    }


def _deliver(engine: Engine, settings: AttendanceSettings, _today: date) -> dict[str, Any]:
    delivered = notices.deliver(engine, settings)
    return {
        "webhook": delivered.webhook,
        "email": delivered.email,
        "delivery_failures": delivered.failed,
    }


def expire(
    *, settings: AttendanceSettings | None = None, as_of: date | None = None, force: bool = False
) -> dict[str, Any]:
    """Settle refused hours and expire what lapsed, catching up on missed days."""
    return _run("expire", _expire_catching_up, settings, as_of, force)


def monthly_warnings(
    *, settings: AttendanceSettings | None = None, as_of: date | None = None, force: bool = False
) -> dict[str, Any]:
    """Notices of comp time expiring next month, per person and per supervisor."""
    return _run("monthly-warnings", _monthly, settings, as_of, force)


def lead_warnings(
    *, settings: AttendanceSettings | None = None, as_of: date | None = None, force: bool = False
) -> dict[str, Any]:
    """The agencies' extra warnings at their configured lead times."""
    return _run("lead-warnings", _lead, settings, as_of, force)


def deliver_notices(
    *, settings: AttendanceSettings | None = None, as_of: date | None = None, force: bool = False
) -> dict[str, Any]:
    """Retry notices a webhook or mail server did not accept earlier."""
    return _run("deliver-notices", _deliver, settings, as_of, force=True)


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    "expire": expire,
    "monthly-warnings": monthly_warnings,
    "lead-warnings": lead_warnings,
    "deliver-notices": deliver_notices,
}

# When `renshi jobs schedule` (and the CronJobs in deploy/k8s/) run each job:
# cron expressions in Asia/Taipei time. Expiry runs first each night, just
# after the day has turned in Taipei; the warnings follow it, so that they
# never list minutes that lapsed overnight, and are stored and delivered
# before the working day starts. Deliveries that failed are retried often.
SCHEDULE: dict[str, str] = {
    "expire": "5 0 * * *",
    "monthly-warnings": "10 0 1 * *",
    "lead-warnings": "15 0 * * *",
    "deliver-notices": "*/5 * * * *",
}
