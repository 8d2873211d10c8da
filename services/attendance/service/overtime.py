"""Recording overtime against the work-hour limits, and deciding on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from services.attendance.domain.workdays import (
    ClockedDay,
    is_weekend,
    normal_minutes,
    rest_day_of,
    work_days,
)
from services.attendance.domain.worktime import (
    DAY_MINUTES,
    Evaluation,
    OvertimeProposal,
    Regime,
    Violation,
    add_months,
    evaluate_overtime,
    month_of,
    shift_rest_shortfalls,
)
from services.attendance.models import AttendanceRecord, OvertimeRecord, RosterPerson
from services.attendance.service import comptime
from services.attendance.service.problems import WorkHourLimitExceeded
from services.attendance.store import policy, records
from services.common.errors import Conflict, FieldError, Invalid
from services.common.timeutil import now_utc, taipei_date


@dataclass(frozen=True)
class OvertimeDraft:
    person: RosterPerson
    day: date
    starts_at: datetime | None
    minutes: int
    is_rest_day: bool | None
    urgent: bool
    assigned_by: str
    reason: str
    compensation: str
    source: str
    source_id: str | None


def window(day: date) -> tuple[date, date]:
    """Days that can bear on a proposal: its 3-month windows, with room for
    runs of long days and neighbouring shifts at the edges."""
    start = add_months(month_of(day), -2) - timedelta(days=7)
    end = add_months(month_of(day), 3) + timedelta(days=6)
    return start, end


def evaluate(
    session: Session,
    person: RosterPerson,
    day: date,
    minutes: int,
    is_rest_day: bool | None,
    urgent: bool,
    starts_at: datetime | None = None,
) -> tuple[Evaluation, bool]:
    """Check a proposed overtime against the person's recorded days, with the
    limits their agency set for their regime. Returns the evaluation and the
    rest-day flag the day was judged with."""
    start, end = window(day)
    clocked = records.clocked_days(session, person.person_id, start, end)
    overtime = records.overtime_days(session, person.person_id, start, end)
    clocked_today: ClockedDay | None = next((c for c in clocked if c.day == day), None)
    recorded_flag = next((o.is_rest_day for o in overtime if o.day == day), None)
    rest = rest_day_of(
        day, clocked_today, recorded_flag if recorded_flag is not None else is_rest_day
    )
    regime = Regime(person.regime)
    evaluation = evaluate_overtime(
        regime,
        work_days(clocked, overtime, also=[(day, rest)]),
        OvertimeProposal(
            day=day, minutes=minutes, is_rest_day=rest, urgent=urgent, starts_at=starts_at
        ),
        limits=policy.limits_for(session, person.agency_code, regime),
        consent_windows=policy.consent_windows(session, person.person_id),
        cycle_anchor=person.cycle_anchor,
    )
    return evaluation, rest


def record(session: Session, draft: OvertimeDraft) -> tuple[OvertimeRecord, Evaluation]:
    """Store an overtime record, or refuse it with the limit it breaks. The
    caller has locked the person (see store.locking)."""
    person = draft.person
    if draft.assigned_by == person.person_id:
        raise Invalid(
            "overtime must be assigned by a supervisor, not by the person themself",
            errors=[FieldError(field="body.assigned_by", reason="self-assigned", code="self")],
        )
    evaluation, rest = evaluate(
        session,
        person,
        draft.day,
        draft.minutes,
        draft.is_rest_day,
        draft.urgent,
        draft.starts_at,
    )
    if not evaluation.allowed:
        raise WorkHourLimitExceeded(evaluation)
    row = OvertimeRecord(
        person_id=person.person_id,
        agency_code=person.agency_code,
        day=draft.day,
        starts_at=draft.starts_at,
        minutes=draft.minutes,
        is_rest_day=rest,
        urgent=draft.urgent,
        assigned_by=draft.assigned_by,
        reason=draft.reason,
        compensation=draft.compensation,
        source=draft.source,
        source_id=draft.source_id or uuid.uuid4().hex,
    )
    records.add_overtime(session, row)
    records.record_reports(
        session,
        person_id=person.person_id,
        agency_code=person.agency_code,
        regime=person.regime,
        overtime_id=row.id,
        reports=evaluation.reports,
    )
    return row, evaluation


def day_of(day: date | None, starts_at: datetime | None) -> date:
    """The Taipei day of the overtime; a timestamp in any zone is converted first."""
    if starts_at is not None:
        derived = taipei_date(starts_at)
        if day is not None and day != derived:
            raise Invalid(
                "day and starts_at name different Taipei days",
                errors=[FieldError(field="body.day", reason="disagrees with starts_at")],
            )
        return derived
    if day is None:
        raise Invalid(
            "give day or starts_at",
            errors=[FieldError(field="body.day", reason="required", code="missing")],
        )
    return day


def approve(
    session: Session, row: OvertimeRecord, person: RosterPerson, by: str, note: str | None
) -> int | None:
    """Approve pending overtime; comp-time overtime then earns its grant."""
    if row.status != "pending":
        raise Conflict(f"overtime is already {row.status}")
    row.status = "approved"
    row.decided_by = by
    row.decided_at = now_utc()
    row.decision_note = note
    records.save_overtime(session, row)
    if row.compensation != "comp":
        return None
    return comptime.grant_for_overtime(session, person, row)


def reject(session: Session, row: OvertimeRecord, by: str, note: str | None) -> None:
    if row.status != "pending":
        raise Conflict(f"overtime is already {row.status}")
    row.status = "rejected"
    row.decided_by = by
    row.decided_at = now_utc()
    row.decision_note = note
    records.save_overtime(session, row)


def clocked_record(
    person: RosterPerson,
    *,
    day: date,
    clock_in: datetime | None,
    clock_out: datetime | None,
    normal: int | None,
    is_rest_day: bool | None,
    source: str,
    source_id: str | None,
) -> AttendanceRecord:
    if clock_in is not None and clock_out is not None and clock_out <= clock_in:
        raise Invalid(
            "clock_out must be after clock_in",
            errors=[FieldError(field="body.clock_out", reason="before clock_in")],
        )
    rest = is_weekend(day) if is_rest_day is None else is_rest_day
    minutes = normal if normal is not None else (0 if rest else normal_minutes(clock_in, clock_out))
    return AttendanceRecord(
        person_id=person.person_id,
        agency_code=person.agency_code,
        day=day,
        clock_in=clock_in,
        clock_out=clock_out,
        normal_minutes=minutes,
        is_rest_day=rest,
        source=source,
        source_id=source_id or uuid.uuid4().hex,
    )


def shift_rest_warnings(session: Session, person: RosterPerson, day: date) -> tuple[Violation, ...]:
    """Shift changes next to a clocked day, as now stored, whose rest is under
    the minimum of the person's limits. The clocked day is kept either way: it
    records what happened; the shortfall is named, not refused."""
    limits = policy.limits_for(session, person.agency_code, Regime(person.regime))
    need = limits.min_rest_between_shifts
    if need is None:
        return ()
    # The day just added must be seen by the queries below.
    session.flush()
    # A neighbouring shift further away than the minimum itself cannot leave
    # too short a rest; a week more covers work spans running past their day.
    reach = timedelta(days=need // DAY_MINUTES + 7)
    start, end = day - reach, day + reach
    clocked = records.clocked_days(session, person.person_id, start, end)
    overtime = records.overtime_days(session, person.person_id, start, end)
    return shift_rest_shortfalls(work_days(clocked, overtime), day, limits)
