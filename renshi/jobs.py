"""Scheduled jobs, found in each service's `jobs.py`: a `JOBS` mapping of name →
callable taking keyword arguments `as_of` (the Taipei day the run is for,
None for today) and `force` (run again a day already claimed; a job without a
daily claim runs anyway) and returning a short summary dict, and
optionally a `SCHEDULE` mapping of name → cron expression read in Asia/Taipei
time (the same expressions the Kubernetes CronJobs in deploy/k8s/base/ use).

`renshi jobs schedule` runs every scheduled job when it falls due. It adds no
lock of its own: each job claims its run so that one replica runs it, and is
idempotent, so a second scheduler, or a CronJob next to it, only costs a
skipped run. What is due at a given moment is decided by pure functions
(`due_jobs`, `next_wake`) so that it can be tested without waiting.
"""

from __future__ import annotations

import importlib
import logging
import signal
import time as _time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from gateway.settings import SERVICES

Job = Callable[..., dict[str, Any]]

# `renshi jobs run --as-of` refuses a day before this: the ROC calendar, and
# every date in the policies, start in 1912.
EARLIEST_AS_OF = date(1912, 1, 1)

TAIPEI = ZoneInfo("Asia/Taipei")
# A job that raised is tried again this much later, not only at its next
# scheduled time: a daily job would otherwise wait a whole day.
RETRY_AFTER = timedelta(minutes=5)
# The scheduler looks at the clock at least this often, so a clock that jumps
# (a suspended laptop, a corrected host clock) delays nothing for long.
MAX_SLEEP_SECONDS = 60.0

log = logging.getLogger("renshi.jobs")


def _service_jobs_modules() -> Iterable[tuple[str, Any]]:
    for service in SERVICES:
        try:
            module = importlib.import_module(f"services.{service}.jobs")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{service}.jobs":
                raise
            continue
        yield service, module


def _service_of(name: str) -> str:
    return name.split(".", 1)[0]


def registry() -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    for service, module in _service_jobs_modules():
        for name, job in getattr(module, "JOBS", {}).items():
            jobs[f"{service}.{name}"] = job
    return jobs


# ----------------------------------------------------------------- cron


_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))


def _parse_field(text: str, name: str, low: int, high: int) -> tuple[int, ...]:
    values: set[int] = set()
    for item in text.split(","):
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"cron {name}: step must be positive in {item!r}")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first_text, last_text = span.split("-", 1)
            first, last = int(first_text), int(last_text)
        else:
            first = int(span)
            last = high if step_text else first
        if not low <= first <= last <= high:
            raise ValueError(f"cron {name}: {item!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return tuple(sorted(values))


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression (minute hour day month weekday): numbers,
    `*`, ranges, lists and steps; weekday 0 or 7 is Sunday. As in cron, when
    both day and weekday are restricted a day matching either one fires."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        parts = expression.split()
        if len(parts) != len(_FIELDS):
            raise ValueError(f"cron expression needs 5 fields: {expression!r}")
        try:
            minutes, hours, days, months, weekdays = (
                _parse_field(part, name, low, high)
                for part, (name, low, high) in zip(parts, _FIELDS, strict=True)
            )
        except ValueError as exc:
            raise ValueError(f"{exc} (in {expression!r})") from None
        cron = cls(
            expression=expression,
            minutes=minutes,
            hours=hours,
            days=frozenset(days),
            months=frozenset(months),
            weekdays=frozenset(d % 7 for d in weekdays),
            any_day=parts[2] == "*",
            any_weekday=parts[4] == "*",
        )
        cron.next_after(datetime(2000, 1, 1, tzinfo=TAIPEI))  # refuses e.g. 30 February
        return cron

    def fires_on(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        on_day = day.day in self.days
        on_weekday = day.isoweekday() % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return on_day and on_weekday
        return on_day or on_weekday

    def next_after(self, moment: datetime, zone: ZoneInfo = TAIPEI) -> datetime:
        """The first firing strictly after `moment` (aware), in `zone`'s wall time."""
        local = moment.astimezone(zone)
        day = local.date()
        # Eight years reach the next 29 February even across a skipped leap year.
        for _ in range(366 * 8):
            if self.fires_on(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        candidate = datetime.combine(day, time(hour, minute), zone)
                        if candidate > local:
                            return candidate
            day += timedelta(days=1)
        raise ValueError(f"cron expression never fires: {self.expression!r}")


def schedules() -> dict[str, Cron]:
    """Every service's declared schedule, as `service.job` → Cron."""
    found: dict[str, Cron] = {}
    for service, module in _service_jobs_modules():
        for name, expression in getattr(module, "SCHEDULE", {}).items():
            found[f"{service}.{name}"] = Cron.parse(expression)
    return found


# ------------------------------------------------------------- decisions


def start_of_day(moment: datetime, zone: ZoneInfo = TAIPEI) -> datetime:
    """Just before midnight starting `moment`'s day in `zone`: a scheduler
    started during the day catches up on that day's runs (the jobs skip a run
    already done) but not on earlier days'."""
    midnight = datetime.combine(moment.astimezone(zone).date(), time(0), zone)
    return midnight - timedelta(microseconds=1)


def due_jobs(
    schedule: Mapping[str, Cron],
    since: datetime,
    now: datetime,
    retry_at: Mapping[str, datetime] | None = None,
) -> tuple[str, ...]:
    """Jobs that fire after `since` and no later than `now`, or whose retry
    time has come, in the order of `schedule` (each at most once, however
    many firings a long pause covered)."""
    retry_at = retry_at or {}
    return tuple(
        name
        for name, cron in schedule.items()
        if cron.next_after(since) <= now or (name in retry_at and retry_at[name] <= now)
    )


def next_wake(
    schedule: Mapping[str, Cron], now: datetime, retry_at: Mapping[str, datetime] | None = None
) -> datetime:
    """The first moment after `now` at which some job falls due."""
    moments = [cron.next_after(now) for cron in schedule.values()]
    moments.extend(t for t in (retry_at or {}).values() if t > now)
    if not moments:
        raise ValueError("nothing is scheduled")
    return min(moments)


# ------------------------------------------------------------------ loop


def run_due(
    jobs: Mapping[str, Job],
    names: Iterable[str],
    retry_at: dict[str, datetime],
    clock: Callable[[], datetime],
) -> None:
    """Run each job; one that raises is logged and retried after RETRY_AFTER,
    and never stops the others."""
    for name in names:
        retry_at.pop(name, None)
        try:
            summary = jobs[name]()
        except Exception:
            retry_at[name] = clock() + RETRY_AFTER
            log.exception("scheduled job failed", extra={"job": name})
            continue
        log.info("scheduled job ran", extra={"job": name, "summary": summary})


def schedule_loop(
    jobs: Mapping[str, Job],
    schedule: Mapping[str, Cron],
    *,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> None:
    """Run due jobs, sleep until the next is due, forever. `clock` and
    `sleep` are injected so that tests drive it on a simulated clock."""
    unknown = set(schedule) - set(jobs)
    if unknown:
        raise ValueError(f"scheduled jobs that do not exist: {', '.join(sorted(unknown))}")
    retry_at: dict[str, datetime] = {}
    since = start_of_day(clock())
    while True:
        now = clock()
        run_due(jobs, due_jobs(schedule, since, now, retry_at), retry_at, clock)
        # Firings during the runs above fall after `since` and are picked up
        # on the next pass, so a long job never makes another one skip a day.
        since = now
        pause = (next_wake(schedule, now, retry_at) - clock()).total_seconds()
        sleep(min(max(pause, 0.0), MAX_SLEEP_SECONDS))


def _stop(_signum: int, _frame: FrameType | None) -> None:
    # Stop at once, also in the middle of a job: its claim is marked failed
    # and its own idempotency makes the next run finish the work. Further
    # signals are ignored so that this clean-up is not cut short in turn.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def run_scheduler() -> None:
    """`renshi jobs schedule`: returns when SIGINT or SIGTERM arrives."""
    jobs, schedule = registry(), schedules()
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    for name, cron in schedule.items():
        log.info("scheduled", extra={"job": name, "cron": cron.expression, "zone": "Asia/Taipei"})
    try:
        if not schedule:
            # Under `renshi up` a process that ends is started again, as after a
            # crash: idle instead.
            log.warning("no job declares a schedule; idle until stopped")
            while True:
                _time.sleep(3600)
        schedule_loop(jobs, schedule, clock=_now, sleep=_time.sleep)
    except KeyboardInterrupt:
        log.info("scheduler stopped")


def _now() -> datetime:
    return datetime.now(TAIPEI)


# ------------------------------------------------------------ run one now


class AsOfRefused(ValueError):
    """An `--as-of` day that may not be run: malformed, before 1912, or after
    today in production."""


def describe(job: Job) -> str:
    """The first line of the job's docstring."""
    return (job.__doc__ or "").strip().splitlines()[0] if job.__doc__ else ""


def service_environment(service: str) -> str:
    """The service's own `<SVC>_ENVIRONMENT` setting (development, test or
    production), read by its settings class as the service itself reads it."""
    module = importlib.import_module(f"services.{service}.settings")
    settings_cls = getattr(module, f"{service.capitalize()}Settings")
    return str(settings_cls().environment)


def parse_as_of(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise AsOfRefused(f"--as-of must be a date as YYYY-MM-DD, not {text!r}") from None
    if len(text) != 10:
        raise AsOfRefused(f"--as-of must be a date as YYYY-MM-DD, not {text!r}")
    if day < EARLIEST_AS_OF:
        raise AsOfRefused(f"--as-of {text} is before {EARLIEST_AS_OF.isoformat()}")
    return day


def check_as_of(day: date, environment: str, today: date) -> None:
    """Any day up to today may be run (to catch up after an outage); a later
    day only outside production (rehearsals and tests)."""
    if day > today and environment == "production":
        raise AsOfRefused(
            f"--as-of {day.isoformat()} is after today ({today.isoformat()}); "
            "future days are refused in production"
        )


def run_one(
    name: str,
    *,
    as_of: date | None = None,
    force: bool = False,
    jobs: Mapping[str, Job] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """`renshi jobs run NAME [--as-of DATE] [--force]`. Raises KeyError for an
    unknown job and AsOfRefused for a day that may not be run."""
    jobs = registry() if jobs is None else jobs
    job = jobs[name]
    if as_of is not None:
        check_as_of(as_of, service_environment(_service_of(name)), today or _now().date())
    return job(as_of=as_of, force=force)
