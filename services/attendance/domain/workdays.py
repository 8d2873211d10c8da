"""Turning stored attendance and overtime records into the `WorkDay`s the
work-hour engine checks. Pure: plain data in, plain data out.

Decisions:

* A weekday with overtime but no clocked attendance is assumed to hold a
  standard 8 h day. Leaving it at 0 h would let a 10 h overtime pass a 12 h
  daily cap that the real day (8 h + 10 h) breaks; assuming the standard day
  can only refuse more, never less.
* A rest day without a clocked record holds no normal hours.
* Whether a day is a rest day: the clocked record says so when there is
  one; otherwise an explicit flag on the overtime; otherwise Saturday and
  Sunday are rest days.
* Overtime recorded with a start carries it into the `WorkDay` as timed
  overtime, so the rest at a shift change is measured from where it really
  ends; overtime without one is left untimed (the engine places it after the
  shift).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from services.attendance.domain.worktime import TimedOvertime, WorkDay

STANDARD_DAY_MINUTES = 8 * 60


@dataclass(frozen=True)
class ClockedDay:
    day: date
    normal_minutes: int
    is_rest_day: bool
    shift_start: datetime | None = None
    shift_end: datetime | None = None


@dataclass(frozen=True)
class OvertimeDay:
    day: date
    minutes: int
    is_rest_day: bool
    urgent: bool = False
    starts_at: datetime | None = None


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def normal_minutes(clock_in: datetime | None, clock_out: datetime | None) -> int:
    """Normal minutes of a clocked span: the span itself, at most a standard day;
    what lies beyond is overtime only when recorded as overtime."""
    if clock_in is None or clock_out is None:
        return STANDARD_DAY_MINUTES
    span = int((clock_out - clock_in).total_seconds() // 60)
    return max(0, min(span, STANDARD_DAY_MINUTES))


def rest_day_of(day: date, clocked: ClockedDay | None, flag: bool | None) -> bool:
    if clocked is not None:
        return clocked.is_rest_day
    if flag is not None:
        return flag
    return is_weekend(day)


def work_days(
    clocked: Iterable[ClockedDay],
    overtime: Iterable[OvertimeDay],
    *,
    also: Iterable[tuple[date, bool]] = (),
) -> list[WorkDay]:
    """One `WorkDay` per day that has a clocked record or overtime, plus the
    `(day, is_rest_day)` pairs in `also` (the day of a proposed overtime)."""
    by_day: dict[date, ClockedDay] = {}
    for c in clocked:
        prev = by_day.get(c.day)
        if prev is not None:
            # Two clocked records on one day (e.g. a split shift): add them up.
            c = ClockedDay(
                c.day,
                prev.normal_minutes + c.normal_minutes,
                prev.is_rest_day,
                prev.shift_start or c.shift_start,
                c.shift_end or prev.shift_end,
            )
        by_day[c.day] = c
    ot_minutes: dict[date, int] = {}
    ot_rest: dict[date, bool] = {}
    ot_urgent: dict[date, bool] = {}
    ot_timed: dict[date, list[TimedOvertime]] = {}
    for o in overtime:
        ot_minutes[o.day] = ot_minutes.get(o.day, 0) + o.minutes
        ot_rest.setdefault(o.day, o.is_rest_day)
        ot_urgent[o.day] = ot_urgent.get(o.day, False) or o.urgent
        if o.starts_at is not None:
            ot_timed.setdefault(o.day, []).append(TimedOvertime(o.starts_at, o.minutes))
    extra = dict(also)
    days = sorted(set(by_day) | set(ot_minutes) | set(extra))
    out: list[WorkDay] = []
    for d in days:
        today = by_day.get(d)
        rest = rest_day_of(d, today, ot_rest.get(d, extra.get(d)))
        standard = 0 if rest else STANDARD_DAY_MINUTES
        normal = today.normal_minutes if today is not None else standard
        out.append(
            WorkDay(
                day=d,
                is_rest_day=rest,
                normal_minutes=normal,
                overtime_minutes=ot_minutes.get(d, 0),
                urgent=ot_urgent.get(d, False),
                shift_start=today.shift_start if today is not None else None,
                shift_end=today.shift_end if today is not None else None,
                timed_overtime=tuple(ot_timed.get(d, ())),
            )
        )
    return out
