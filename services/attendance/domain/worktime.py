"""Work-hour limits (延長辦公時數上限) as data, and one engine that checks a proposed
overtime record against them.

All amounts are integer minutes; a "day" is a Taipei calendar day and a "month"
a Taipei calendar month. A record exactly at a limit is allowed; one minute over
is refused.

Where the rules come from. Seed 000 (2024 personnel-heads briefing) only asks
agencies to 「定期檢討所屬機關（構）勤休制度之妥適性」, to run 「工時統計分析、抽查」
and to publish shift workers' hours (「特殊輪班輪休人員」); it states no hour
figures, and seed 001 says nothing about working time. The figures below
therefore rest on docs/domain.md §4, which summarises 公務員服務法 §12 and
服勤實施辦法 §4–§5; the quoted phrases below are from 服勤實施辦法 §4 and its
2023 Q&A as published by agencies. Decisions the summary leaves open:

* Weekday 4 h does NOT apply in the exception and special-major-project
  regimes. §4 caps those as a daily total, 「連同正常辦公時數，每日不得超過十四
  小時」, with no separate weekday figure; on a rest day the same 14 h total
  governs, so rest-day 12 h does not apply either.
* Seasonal work keeps weekday 4 h and rest-day 12 h: its daily cap is the
  ordinary 12 h total, and only the monthly cap is raised (80 h, with consent
  above 60 h).
* Shift workers have no weekday/rest-day split; their 12 h daily total and
  80 h monthly overtime govern. A shift "changes" when the Taipei clock time
  at which a shift starts differs from the previous shift's; only then is the
  11 h rest required ("when the shift changes").
* That rest runs from the end of all work of the earlier day, overtime
  included, to the start of the first work of the later day (which may be
  overtime before its shift): rest is what lies between work, and overtime is
  work. Overtime with a start spans [start, start + minutes]. Overtime without
  one is taken to extend the shift, the usual case: the day's untimed overtime
  is one block from where the shift's continuous work ends (the shift end, or
  the end of timed overtime carrying on from it without a break). That is
  also the cautious reading for the next rest; a record that differs gives
  its start.
* Only days with a clocked shift take part in the rest: a day without one has
  no shift to change from or to. Its overtime still counts against every
  other limit, and once the shift is clocked it counts in the warning below.
* A proposed overtime is refused for the rest only when the rest it would
  leave is under the minimum and shorter than the rest without it; the
  message and figure are the rest with it. Clocked shifts that themselves
  leave too short a rest are stored, since they record what happened, with a
  warning (`shift_rest_shortfalls`); overtime on those days that does not
  shorten that rest further is then not refused for it.
* A day longer than the daily total is allowed only when urgent, up to 24 h
  (「1日以24小時計算」), and a run of such days may not exceed 3.
* Special major project: the 14 h day (with the urgent exception) still
  applies; 240 h per 3 calendar months replaces the 80 h month. Without an
  anchor, every 3-month window containing the month is checked (stricter);
  with an anchor, fixed cycles from it (「以連續3個月為一週期，並以曆月為單位
  計算」). A month over 60 h is not reported in this regime because consent
  precedes it (「除該項但書第二款規定外」); a day over 14 h still is.
* Seasonal: a month over 60 h needs a prior consent window instead of a
  report. A window may touch at most 3 calendar months (2 + 1 extension,
  「以二個月為限，必要時得再延長一個月」); a month counts as consented when a
  window overlaps it.
* Reports (day > 14 h, month > 60 h) apply in every regime not exempted
  above, shift work included: over-reporting costs a letter, missing one
  breaches the duty to report.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final, cast

from services.attendance.domain.comptime import civil_period_end
from services.common.timeutil import taipei_date, to_taipei

HOUR: Final = 60
DAY_MINUTES: Final = 24 * HOUR


class Regime(enum.StrEnum):
    REGULAR = "regular"
    SHIFT = "shift"  # 輪班輪休
    EXCEPTION = "exception"  # disaster, emergency or major project
    SPECIAL_MAJOR_PROJECT = "special_major_project"  # 240 h / 3 months, with consent
    SEASONAL = "seasonal"  # seasonal or periodic work


@dataclass(frozen=True)
class WorkHourLimits:
    """Limits for one regime, all in minutes (or days/months where named).

    ``None`` always means "no limit / not required", i.e. the loosest value,
    so an override from ``None`` to a number is a tightening.
    """

    regime: Regime
    daily_total: int | None
    """Normal plus overtime minutes in one day."""
    urgent_daily_total: int | None
    """Cap on an urgent day while long days are allowed (max_consecutive_long_days > 0)."""
    max_consecutive_long_days: int | None
    """Longest run of days over ``daily_total``; 0 means no long day at all."""
    weekday_overtime: int | None
    rest_day_overtime: int | None
    monthly_overtime: int | None
    three_month_overtime: int | None
    min_rest_between_shifts: int | None
    """Higher is stricter: the only field where a larger value tightens."""
    consent_monthly_overtime: int | None
    """Monthly overtime above this needs a consent window."""
    max_consent_months: int | None
    """Calendar months one consent window may touch."""
    report_daily_total_over: int | None
    report_monthly_overtime_over: int | None
    care_monthly_overtime: int | None
    """Monthly overtime at or above this triggers proactive care."""

    def __post_init__(self) -> None:
        for name in _LIMIT_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: must be a non-negative whole number, got {value!r}")
        if (
            self.urgent_daily_total is not None
            and self.daily_total is not None
            and self.urgent_daily_total < self.daily_total
        ):
            raise ValueError("urgent_daily_total: may not be below daily_total")


_LIMIT_FIELDS: Final = tuple(
    f.name for f in dataclasses.fields(WorkHourLimits) if f.name != "regime"
)
_STRICTER_WHEN_HIGHER: Final = frozenset({"min_rest_between_shifts"})

_STATUTORY: Final[Mapping[Regime, WorkHourLimits]] = {
    Regime.REGULAR: WorkHourLimits(
        regime=Regime.REGULAR,
        daily_total=12 * HOUR,
        urgent_daily_total=12 * HOUR,
        max_consecutive_long_days=0,
        weekday_overtime=4 * HOUR,
        rest_day_overtime=12 * HOUR,
        monthly_overtime=60 * HOUR,
        three_month_overtime=None,
        min_rest_between_shifts=None,
        consent_monthly_overtime=None,
        max_consent_months=None,
        report_daily_total_over=14 * HOUR,
        report_monthly_overtime_over=60 * HOUR,
        care_monthly_overtime=45 * HOUR,
    ),
    Regime.SHIFT: WorkHourLimits(
        regime=Regime.SHIFT,
        daily_total=12 * HOUR,
        urgent_daily_total=12 * HOUR,
        max_consecutive_long_days=0,
        weekday_overtime=None,
        rest_day_overtime=None,
        monthly_overtime=80 * HOUR,
        three_month_overtime=None,
        min_rest_between_shifts=11 * HOUR,
        consent_monthly_overtime=None,
        max_consent_months=None,
        report_daily_total_over=14 * HOUR,
        report_monthly_overtime_over=60 * HOUR,
        care_monthly_overtime=45 * HOUR,
    ),
    Regime.EXCEPTION: WorkHourLimits(
        regime=Regime.EXCEPTION,
        daily_total=14 * HOUR,
        urgent_daily_total=DAY_MINUTES,
        max_consecutive_long_days=3,
        weekday_overtime=None,
        rest_day_overtime=None,
        monthly_overtime=80 * HOUR,
        three_month_overtime=None,
        min_rest_between_shifts=None,
        consent_monthly_overtime=None,
        max_consent_months=None,
        report_daily_total_over=14 * HOUR,
        report_monthly_overtime_over=60 * HOUR,
        care_monthly_overtime=45 * HOUR,
    ),
    Regime.SPECIAL_MAJOR_PROJECT: WorkHourLimits(
        regime=Regime.SPECIAL_MAJOR_PROJECT,
        daily_total=14 * HOUR,
        urgent_daily_total=DAY_MINUTES,
        max_consecutive_long_days=3,
        weekday_overtime=None,
        rest_day_overtime=None,
        monthly_overtime=None,
        three_month_overtime=240 * HOUR,
        min_rest_between_shifts=None,
        consent_monthly_overtime=None,
        max_consent_months=None,
        report_daily_total_over=14 * HOUR,
        report_monthly_overtime_over=None,
        care_monthly_overtime=45 * HOUR,
    ),
    Regime.SEASONAL: WorkHourLimits(
        regime=Regime.SEASONAL,
        daily_total=12 * HOUR,
        urgent_daily_total=12 * HOUR,
        max_consecutive_long_days=0,
        weekday_overtime=4 * HOUR,
        rest_day_overtime=12 * HOUR,
        monthly_overtime=80 * HOUR,
        three_month_overtime=None,
        min_rest_between_shifts=None,
        consent_monthly_overtime=60 * HOUR,
        max_consent_months=3,
        report_daily_total_over=14 * HOUR,
        report_monthly_overtime_over=None,
        care_monthly_overtime=45 * HOUR,
    ),
}


def default_limits(regime: Regime) -> WorkHourLimits:
    """The statutory limits of a regime."""
    return _STATUTORY[Regime(regime)]


def check_within_statutory(limits: WorkHourLimits) -> None:
    """Raise ValueError naming the first field that is looser than the statute."""
    statutory = default_limits(limits.regime)
    for name in _LIMIT_FIELDS:
        cap = getattr(statutory, name)
        value = getattr(limits, name)
        if cap is None:
            continue
        if value is None:
            raise ValueError(f"{name}: removing the statutory limit ({cap}) is not allowed")
        looser = value < cap if name in _STRICTER_WHEN_HIGHER else value > cap
        if looser:
            raise ValueError(
                f"{name}: {value} is looser than the statutory {cap} for regime {limits.regime}"
            )


def limits_with_overrides(regime: Regime, **overrides: int | None) -> WorkHourLimits:
    """An agency's limits: the statutory ones, tightened by ``overrides``."""
    unknown = set(overrides) - set(_LIMIT_FIELDS)
    if unknown:
        raise ValueError(f"{sorted(unknown)[0]}: not a work-hour limit")
    # Field names were checked above; the cast only tells mypy so.
    limits = dataclasses.replace(default_limits(regime), **cast("dict[str, Any]", overrides))
    check_within_statutory(limits)
    return limits


# ---------------------------------------------------------------- input data


def _check_shift_span(start: datetime | None, end: datetime | None) -> None:
    if (start is None) != (end is None):
        raise ValueError("shift_start and shift_end must be given together")
    if start is not None and end is not None:
        to_taipei(start)  # refuses naive datetimes
        to_taipei(end)
        if end <= start:
            raise ValueError("shift_end must be after shift_start")


def _check_on_day(day: date, starts_at: datetime) -> None:
    if taipei_date(starts_at) != day:
        raise ValueError(f"{day}: overtime must start on its own Taipei day")


@dataclass(frozen=True)
class TimedOvertime:
    """Overtime whose start is known: it spans [starts_at, starts_at + minutes]."""

    starts_at: datetime
    minutes: int

    def __post_init__(self) -> None:
        to_taipei(self.starts_at)  # refuses naive datetimes
        if self.minutes <= 0:
            raise ValueError("overtime minutes must be positive")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


Span = tuple[datetime, datetime]
"""A stretch of work, [start, end)."""


@dataclass(frozen=True)
class WorkDay:
    """What a person already worked on one Taipei day.

    ``overtime_minutes`` is all of the day's overtime; ``timed_overtime`` the
    part of it whose start is known. The rest is untimed and taken to extend
    the shift (see `work_spans`).
    """

    day: date
    is_rest_day: bool = False
    normal_minutes: int = 0
    overtime_minutes: int = 0
    urgent: bool = False
    shift_start: datetime | None = None
    shift_end: datetime | None = None
    timed_overtime: tuple[TimedOvertime, ...] = ()

    def __post_init__(self) -> None:
        if self.normal_minutes < 0 or self.overtime_minutes < 0:
            raise ValueError("minutes may not be negative")
        _check_shift_span(self.shift_start, self.shift_end)
        for timed in self.timed_overtime:
            _check_on_day(self.day, timed.starts_at)
        if self.untimed_overtime_minutes < 0:
            raise ValueError(f"{self.day}: timed overtime is more than the day's overtime")

    @property
    def total_minutes(self) -> int:
        return self.normal_minutes + self.overtime_minutes

    @property
    def untimed_overtime_minutes(self) -> int:
        return self.overtime_minutes - sum(t.minutes for t in self.timed_overtime)


@dataclass(frozen=True)
class OvertimeProposal:
    """Overtime someone wants to record; ``day`` is its Taipei calendar day."""

    day: date
    minutes: int
    is_rest_day: bool = False
    urgent: bool = False
    shift_start: datetime | None = None
    shift_end: datetime | None = None
    starts_at: datetime | None = None
    """When known; without it the overtime is taken to extend the day's shift."""

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise ValueError("overtime minutes must be positive")
        _check_shift_span(self.shift_start, self.shift_end)
        if self.starts_at is not None:
            _check_on_day(self.day, self.starts_at)

    @property
    def timed(self) -> TimedOvertime | None:
        if self.starts_at is None:
            return None
        return TimedOvertime(self.starts_at, self.minutes)

    @classmethod
    def starting_at(
        cls,
        start: datetime,
        minutes: int,
        *,
        is_rest_day: bool = False,
        urgent: bool = False,
    ) -> OvertimeProposal:
        """Overtime from a timestamp in any zone belongs to the Taipei day it starts on."""
        return cls(
            day=taipei_date(start),
            minutes=minutes,
            is_rest_day=is_rest_day,
            urgent=urgent,
            starts_at=start,
        )


@dataclass(frozen=True)
class ConsentWindow:
    """Prior consent for seasonal months over the consent threshold (inclusive dates)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("consent window ends before it starts")

    @property
    def months(self) -> int:
        """Calendar months the window touches."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def overlaps_month(self, month: date) -> bool:
        return self.start <= _month_end(month) and self.end >= month_of(month)


# --------------------------------------------------------------- output data


@dataclass(frozen=True)
class Violation:
    code: str
    regime: Regime
    limit_minutes: int
    actual_minutes: int
    message: str
    limit_days: int | None = None
    actual_days: int | None = None


@dataclass(frozen=True)
class Report:
    """A case to report to the competent authority within a month of ``event_day``."""

    code: str  # "long_day" | "high_monthly_overtime"
    period_start: date
    period_end: date
    event_day: date
    threshold_minutes: int
    actual_minutes: int
    message: str


@dataclass(frozen=True)
class CareFlag:
    month: date
    overtime_minutes: int
    threshold_minutes: int


@dataclass(frozen=True)
class Evaluation:
    regime: Regime
    violations: tuple[Violation, ...]
    reports: tuple[Report, ...]
    care: tuple[CareFlag, ...]

    @property
    def allowed(self) -> bool:
        return not self.violations

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(v.code for v in self.violations)


# ------------------------------------------------------------------- helpers


def month_of(day: date) -> date:
    """The first day of the day's calendar month: how months are keyed here."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return add_months(month_of(month), 1) - timedelta(days=1)


def hours_text(minutes: int) -> str:
    """'12 h' or '12 h 01 min': messages speak hours, the unit the rules use."""
    hours, rest = divmod(minutes, HOUR)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d} min"


def _month_label(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


def _merge(existing: WorkDay | None, proposal: OvertimeProposal) -> WorkDay:
    timed = () if proposal.timed is None else (proposal.timed,)
    if existing is None:
        return WorkDay(
            day=proposal.day,
            is_rest_day=proposal.is_rest_day,
            overtime_minutes=proposal.minutes,
            urgent=proposal.urgent,
            shift_start=proposal.shift_start,
            shift_end=proposal.shift_end,
            timed_overtime=timed,
        )
    if existing.is_rest_day != proposal.is_rest_day:
        raise ValueError(f"{proposal.day}: proposal and recorded day disagree on rest day")
    has_span = proposal.shift_start is not None
    return dataclasses.replace(
        existing,
        overtime_minutes=existing.overtime_minutes + proposal.minutes,
        urgent=existing.urgent or proposal.urgent,
        shift_start=proposal.shift_start if has_span else existing.shift_start,
        shift_end=proposal.shift_end if has_span else existing.shift_end,
        timed_overtime=existing.timed_overtime + timed,
    )


def _shift_clock(start: datetime) -> time:
    return to_taipei(start).time()


# --------------------------------------------------------------------- rules


def _daily_rules(day: WorkDay, limits: WorkHourLimits) -> list[Violation]:
    out: list[Violation] = []
    regime = limits.regime
    long_days_allowed = bool(limits.max_consecutive_long_days)
    cap = limits.urgent_daily_total if day.urgent and long_days_allowed else limits.daily_total
    if cap is not None and day.total_minutes > cap:
        out.append(
            Violation(
                "daily_total",
                regime,
                cap,
                day.total_minutes,
                f"{day.day}: {hours_text(day.total_minutes)} in the day exceeds the "
                f"{hours_text(cap)} daily limit ({regime})",
            )
        )
    if day.is_rest_day:
        code, ot_cap, label = "rest_day_overtime", limits.rest_day_overtime, "rest-day"
    else:
        code, ot_cap, label = "weekday_overtime", limits.weekday_overtime, "weekday"
    if ot_cap is not None and day.overtime_minutes > ot_cap:
        out.append(
            Violation(
                code,
                regime,
                ot_cap,
                day.overtime_minutes,
                f"{day.day}: {hours_text(day.overtime_minutes)} overtime exceeds the "
                f"{hours_text(ot_cap)} {label} overtime limit ({regime})",
            )
        )
    return out


def _consecutive_rule(
    day: WorkDay, days: Mapping[date, WorkDay], limits: WorkHourLimits
) -> list[Violation]:
    longest, threshold = limits.max_consecutive_long_days, limits.daily_total
    # With 0 allowed the daily cap itself already refuses the day.
    if not longest or threshold is None or day.total_minutes <= threshold:
        return []

    def is_long(d: date) -> bool:
        other = days.get(d)
        return other is not None and other.total_minutes > threshold

    run = 1
    cursor = day.day - timedelta(days=1)
    while is_long(cursor):
        run += 1
        cursor -= timedelta(days=1)
    cursor = day.day + timedelta(days=1)
    while is_long(cursor):
        run += 1
        cursor += timedelta(days=1)
    if run <= longest:
        return []
    return [
        Violation(
            "consecutive_long_days",
            limits.regime,
            threshold,
            day.total_minutes,
            f"{day.day}: would make {run} consecutive days over {hours_text(threshold)}; "
            f"at most {longest} are allowed ({limits.regime})",
            limit_days=longest,
            actual_days=run,
        )
    ]


def _monthly_overtime(days: Mapping[date, WorkDay], month: date) -> int:
    return sum(d.overtime_minutes for d in days.values() if month_of(d.day) == month)


def _monthly_rules(
    month: date,
    month_ot: int,
    limits: WorkHourLimits,
    consent_windows: Sequence[ConsentWindow],
) -> list[Violation]:
    out: list[Violation] = []
    regime = limits.regime
    if limits.monthly_overtime is not None and month_ot > limits.monthly_overtime:
        out.append(
            Violation(
                "monthly_overtime",
                regime,
                limits.monthly_overtime,
                month_ot,
                f"{_month_label(month)}: {hours_text(month_ot)} overtime exceeds the "
                f"{hours_text(limits.monthly_overtime)} monthly limit ({regime})",
            )
        )
    threshold = limits.consent_monthly_overtime
    consented = any(w.overlaps_month(month) for w in consent_windows)
    if threshold is not None and month_ot > threshold and not consented:
        out.append(
            Violation(
                "seasonal_consent",
                regime,
                threshold,
                month_ot,
                f"{_month_label(month)}: {hours_text(month_ot)} overtime is over "
                f"{hours_text(threshold)} without a prior consent window ({regime})",
            )
        )
    return out


def _three_month_windows(month: date, anchor: date | None) -> list[date]:
    """First months of the 3-month windows to check for ``month``."""
    if anchor is None:
        return [add_months(month, -2), add_months(month, -1), month]
    anchor = month_of(anchor)
    offset = (month.year - anchor.year) * 12 + month.month - anchor.month
    return [add_months(anchor, offset - offset % 3)]


def _three_month_rule(
    month: date,
    days: Mapping[date, WorkDay],
    limits: WorkHourLimits,
    anchor: date | None,
) -> list[Violation]:
    cap = limits.three_month_overtime
    if cap is None:
        return []
    worst: tuple[int, date] | None = None
    for first in _three_month_windows(month, anchor):
        total = sum(_monthly_overtime(days, add_months(first, i)) for i in range(3))
        if total > cap and (worst is None or total > worst[0]):
            worst = (total, first)
    if worst is None:
        return []
    total, first = worst
    last = add_months(first, 2)
    return [
        Violation(
            "three_month_overtime",
            limits.regime,
            cap,
            total,
            f"{_month_label(first)} to {_month_label(last)}: {hours_text(total)} overtime "
            f"exceeds the {hours_text(cap)} three-month limit ({limits.regime})",
        )
    ]


def work_spans(day: WorkDay) -> tuple[Span, ...]:
    """The stretches of work of a day, in time order: the clocked shift, each
    timed overtime, and the untimed overtime as one block after the shift.

    The untimed block starts where the shift's continuous work ends: at the
    shift end, or later when timed overtime carries on from it without a
    break. A day without a clocked shift gives its untimed overtime no place.
    """
    spans: list[Span] = [(t.starts_at, t.ends_at) for t in day.timed_overtime]
    if day.shift_start is not None and day.shift_end is not None:
        spans.append((day.shift_start, day.shift_end))
        untimed = day.untimed_overtime_minutes
        if untimed:
            start = _end_of_continuous_work(day.shift_end, spans)
            spans.append((start, start + timedelta(minutes=untimed)))
    return tuple(sorted(spans))


def _end_of_continuous_work(end: datetime, spans: Sequence[Span]) -> datetime:
    # Spans come in any order, so sweep until none carries the end further.
    extended = True
    while extended:
        extended = False
        for start, stop in spans:
            if start <= end < stop:
                end, extended = stop, True
    return end


def rest_between(earlier: WorkDay, later: WorkDay) -> int | None:
    """Minutes from the end of all work of ``earlier`` to the first work of
    ``later`` (negative when they overlap); None when either has no work placed
    in time."""
    before, after = work_spans(earlier), work_spans(later)
    if not before or not after:
        return None
    last_end = max(end for _, end in before)
    first_start = min(start for start, _ in after)
    return int((first_start - last_end).total_seconds() // 60)


def _shift_changes(days: Mapping[date, WorkDay], day: date) -> list[tuple[WorkDay, WorkDay]]:
    """The (earlier, later) pairs of neighbouring clocked shifts that ``day`` is
    one of, where the shift changes (its Taipei start clock differs)."""
    shifts = sorted(
        ((d.shift_start, d.day, d) for d in days.values() if d.shift_start is not None),
        key=lambda item: (item[0], item[1]),
    )
    at = next((i for i, (_, d, _) in enumerate(shifts) if d == day), None)
    if at is None:
        return []
    out: list[tuple[WorkDay, WorkDay]] = []
    for i in (at, at + 1):
        if 0 < i < len(shifts):
            (prev_start, _, prev), (next_start, _, nxt) = shifts[i - 1], shifts[i]
            if _shift_clock(prev_start) != _shift_clock(next_start):
                out.append((prev, nxt))
    return out


def _shift_rest_violation(
    earlier: WorkDay, later: WorkDay, rest: int, need: int, regime: Regime
) -> Violation:
    # Work of one day running into the next day's is no rest at all, not a
    # negative one.
    shown = max(rest, 0)
    return Violation(
        "shift_rest",
        regime,
        need,
        shown,
        f"{earlier.day} to {later.day}: {hours_text(shown)} rest at a shift change is "
        f"under the required {hours_text(need)} ({regime})",
    )


def shift_rest_shortfalls(
    days: Iterable[WorkDay], day: date, limits: WorkHourLimits
) -> tuple[Violation, ...]:
    """Every shift change next to ``day`` whose rest is under the minimum, as
    the work already stands. Clocked shifts record what happened, so this is
    what a new clocked day is warned of, not refused for."""
    need = limits.min_rest_between_shifts
    if need is None:
        return ()
    out: list[Violation] = []
    for earlier, later in _shift_changes(_by_day(days), day):
        rest = rest_between(earlier, later)
        if rest is not None and rest < need:
            out.append(_shift_rest_violation(earlier, later, rest, need, limits.regime))
    return tuple(out)


def _shift_rest_rule(
    day: date,
    before: Mapping[date, WorkDay],
    after: Mapping[date, WorkDay],
    limits: WorkHourLimits,
) -> list[Violation]:
    """Shift changes the proposal leaves too short a rest at: under the minimum
    and shorter than without it, so a rest the clocked shifts already left too
    short does not refuse overtime elsewhere in those days."""
    need = limits.min_rest_between_shifts
    if need is None:
        return []
    prior = {
        (earlier.day, later.day): rest_between(earlier, later)
        for earlier, later in _shift_changes(before, day)
    }
    out: list[Violation] = []
    for earlier, later in _shift_changes(after, day):
        rest = rest_between(earlier, later)
        if rest is None or rest >= need:
            continue
        was = prior.get((earlier.day, later.day))
        # Raw minutes: deepening an overlap still shortens the rest.
        if was is not None and rest >= was:
            continue
        out.append(_shift_rest_violation(earlier, later, rest, need, limits.regime))
    return out


def _by_day(existing: Iterable[WorkDay]) -> dict[date, WorkDay]:
    days: dict[date, WorkDay] = {}
    for recorded in existing:
        if recorded.day in days:
            raise ValueError(f"{recorded.day}: recorded twice")
        days[recorded.day] = recorded
    return days


def _report_due(event_day: date) -> date:
    """Last day to report: one month counted from the event day itself, the
    earlier of the possible readings, so a report is never late."""
    return civil_period_end(event_day, 1)


# ------------------------------------------------------------------- engine


def evaluate_overtime(
    regime: Regime,
    existing: Iterable[WorkDay],
    proposal: OvertimeProposal,
    *,
    limits: WorkHourLimits | None = None,
    consent_windows: Sequence[ConsentWindow] = (),
    cycle_anchor: date | None = None,
) -> Evaluation:
    """Check ``proposal`` against the person's recorded days.

    Only rules touching the proposal are checked: its day, the runs and shift
    pairs it belongs to, its month and the 3-month windows containing it.
    ``cycle_anchor`` fixes the special-major-project cycles to start at that
    month; without it every window containing the month must comply.
    """
    regime = Regime(regime)
    limits = default_limits(regime) if limits is None else limits
    if limits.regime != regime:
        raise ValueError(f"limits are for {limits.regime}, not {regime}")
    check_within_statutory(limits)
    if limits.max_consent_months is not None:
        for window in consent_windows:
            if window.months > limits.max_consent_months:
                raise ValueError(
                    f"consent window {window.start}..{window.end} touches {window.months} "
                    f"months; at most {limits.max_consent_months} are allowed"
                )

    before = _by_day(existing)
    day = _merge(before.get(proposal.day), proposal)
    days = {**before, day.day: day}

    month = month_of(day.day)
    month_ot = _monthly_overtime(days, month)
    violations = [
        *_daily_rules(day, limits),
        *_consecutive_rule(day, days, limits),
        *_monthly_rules(month, month_ot, limits, consent_windows),
        *_three_month_rule(month, days, limits, cycle_anchor),
        *_shift_rest_rule(day.day, before, days, limits),
    ]

    reports: list[Report] = []
    if limits.report_daily_total_over is not None and (
        day.total_minutes > limits.report_daily_total_over
    ):
        reports.append(
            Report(
                "long_day",
                day.day,
                day.day,
                day.day,
                limits.report_daily_total_over,
                day.total_minutes,
                f"{day.day}: {hours_text(day.total_minutes)} worked; days over "
                f"{hours_text(limits.report_daily_total_over)} must be reported by "
                f"{_report_due(day.day)}",
            )
        )
    if limits.report_monthly_overtime_over is not None and (
        month_ot > limits.report_monthly_overtime_over
    ):
        reports.append(
            Report(
                "high_monthly_overtime",
                month,
                _month_end(month),
                day.day,
                limits.report_monthly_overtime_over,
                month_ot,
                f"{_month_label(month)}: {hours_text(month_ot)} overtime; months over "
                f"{hours_text(limits.report_monthly_overtime_over)} must be reported by "
                f"{_report_due(day.day)}",
            )
        )
    care: list[CareFlag] = []
    if limits.care_monthly_overtime is not None and month_ot >= limits.care_monthly_overtime:
        care.append(CareFlag(month, month_ot, limits.care_monthly_overtime))
    return Evaluation(regime, tuple(violations), tuple(reports), tuple(care))


# ---------------------------------------------------------------- monitoring


@dataclass(frozen=True)
class MonthlyMonitoring:
    """Monthly overtime report to the agency head; people ordered by minutes, then id."""

    over_limit: tuple[str, ...]
    needs_care: tuple[str, ...]


def monthly_monitoring(
    overtime_by_person: Mapping[str, int],
    *,
    over_minutes: int = 60 * HOUR,
    care_minutes: int = 45 * HOUR,
) -> MonthlyMonitoring:
    """People over ``over_minutes`` (strictly) and at or above ``care_minutes``."""
    ranked = sorted(overtime_by_person.items(), key=lambda item: (-item[1], item[0]))
    return MonthlyMonitoring(
        over_limit=tuple(person for person, minutes in ranked if minutes > over_minutes),
        needs_care=tuple(person for person, minutes in ranked if minutes >= care_minutes),
    )
