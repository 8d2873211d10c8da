"""Overtime as people meet it: recording it one by one, seeing it, and the
unit supervisor's decision. The rules it is checked against are in `overtime`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from services.attendance.access import (
    OVERTIME_APPROVE,
    OVERTIME_REQUEST,
    RECORDS_READ,
    decider,
    not_own,
    person_in_reach,
    reach,
)
from services.attendance.models import OvertimeRecord, RosterPerson, personal_data_reads
from services.attendance.schemas import OvertimeIn
from services.attendance.service import overtime
from services.attendance.store import ledger as ledger_store
from services.attendance.store import records, roster
from services.attendance.store.locking import lock_person
from services.common.audit import record_personal_data_read
from services.common.bounds_dates import month_start, next_month_start
from services.common.errors import NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.reach import outside


@dataclass(frozen=True)
class OvertimeView:
    """A record with what followed from it: the grant it earned, the cases it reported."""

    record: OvertimeRecord
    grant_id: int | None
    reports: list[str]


def _view(session: Session, row: OvertimeRecord) -> OvertimeView:
    assert row.id is not None
    return OvertimeView(
        row,
        ledger_store.grant_id_for_overtime(session, row.id),
        records.report_codes(session, row.id),
    )


def create(session: Session, principal: Principal, asked: OvertimeIn) -> OvertimeView:
    """Record overtime, or refuse it with the limit it breaks; a replay by
    (source, source_id) gets the record the first one stored."""
    person_id = asked.person_id
    if person_id is None:
        if principal.person_id is None:
            raise NotFound("no person given and the caller has none")
        person_id = principal.person_id
    person = person_in_reach(session, reach(session, principal, OVERTIME_REQUEST), person_id)
    if asked.source_id is not None:
        existing = records.overtime_by_source(session, asked.source, asked.source_id)
        if existing is not None:
            return _view(session, existing)
    lock_person(session, person.person_id)
    row, _ = overtime.record(
        session,
        overtime.OvertimeDraft(
            person=person,
            day=overtime.day_of(asked.day, asked.starts_at),
            starts_at=asked.starts_at,
            minutes=asked.minutes,
            is_rest_day=asked.is_rest_day,
            urgent=asked.urgent,
            assigned_by=asked.assigned_by,
            reason=asked.reason,
            compensation=asked.compensation,
            source=asked.source,
            source_id=asked.source_id,
        ),
    )
    return _view(session, row)


def page(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    person_id: str | None,
    month: str | None,
    status: str | None,
) -> tuple[list[OvertimeView], str | None]:
    """One page of the overtime the caller may see, oldest first."""
    scope = reach(session, principal, RECORDS_READ)
    rows, nxt = records.overtime_page(
        session,
        scope.persons_clause(OvertimeRecord.person_id),
        page,
        person_id=person_id,
        status=status,
        days=None if month is None else (month_start(month), next_month_start(month)),
    )
    items = [_view(session, r) for r in rows]
    record_personal_data_read(
        session,
        personal_data_reads,
        principal,
        sorted({r.person_id for r in rows}),
        "overtime",
    )
    return items, nxt


def _in_reach(
    session: Session, overtime_id: int, principal: Principal, permission: str, whole_unit: bool
) -> tuple[OvertimeRecord, RosterPerson]:
    row = records.overtime_get(session, overtime_id)
    if row is None:
        raise NotFound("no such overtime record")
    scope = reach(session, principal, permission, whole_unit=whole_unit)
    person = roster.get(session, row.person_id)
    if person is None or not scope.covers(person):
        raise outside(scope.scopes, "no such overtime record")
    return row, person


def read(session: Session, principal: Principal, overtime_id: int) -> OvertimeView:
    row, _ = _in_reach(session, overtime_id, principal, RECORDS_READ, True)
    record_personal_data_read(session, personal_data_reads, principal, [row.person_id], "overtime")
    return _view(session, row)


def approve(
    session: Session, principal: Principal, overtime_id: int, note: str | None
) -> OvertimeView:
    """The named supervisor approves; comp-time overtime earns its grant."""
    row, person = _in_reach(session, overtime_id, principal, OVERTIME_APPROVE, False)
    not_own(principal, person)
    by = decider(principal, person, "overtime or leave")
    overtime.approve(session, row, person, by, note)
    return _view(session, row)


def reject(
    session: Session, principal: Principal, overtime_id: int, note: str | None
) -> OvertimeView:
    row, person = _in_reach(session, overtime_id, principal, OVERTIME_APPROVE, False)
    not_own(principal, person)
    by = decider(principal, person, "overtime or leave")
    overtime.reject(session, row, by, note)
    return _view(session, row)
