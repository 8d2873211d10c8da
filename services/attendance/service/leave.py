"""Comp leave: requesting it, seeing it, and the supervisor's decision on it.

Each use case answers with the request and what it took (`Leave`). Where the
use case has just rebuilt the person's ledger (a request, a refusal, a
cancellation) that ledger says what was taken; elsewhere the store reads it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from services.attendance.access import (
    COMP_APPROVE,
    COMP_REQUEST,
    RECORDS_READ,
    decider,
    not_own,
    person_in_reach,
    reach,
)
from services.attendance.models import LeaveRequest, RosterPerson, personal_data_reads
from services.attendance.service import comptime
from services.attendance.service.comptime import Leave
from services.attendance.store import leave as leave_store
from services.attendance.store import ledger as ledger_store
from services.attendance.store import roster
from services.common.audit import record_personal_data_read
from services.common.errors import NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.timeutil import today_taipei


def _read(session: Session, requests: list[LeaveRequest]) -> list[Leave]:
    taken = ledger_store.taken_by_requests(session, [r.id for r in requests if r.id is not None])
    return [Leave(r, tuple(taken.get(r.id, ())) if r.id is not None else ()) for r in requests]


def _in_reach(
    session: Session, request_id: int, principal: Principal, permission: str, whole_unit: bool
) -> tuple[LeaveRequest, RosterPerson]:
    request = leave_store.get(session, request_id)
    if request is None:
        raise NotFound("no such leave request")
    person = roster.get(session, request.person_id)
    scope = reach(session, principal, permission, whole_unit=whole_unit)
    if person is None or not scope.covers(person):
        raise NotFound("no such leave request")
    return request, person


def request(
    session: Session,
    principal: Principal,
    person_id: str | None,
    starts_at: datetime,
    minutes: int,
) -> Leave:
    """Request leave for `person_id`, the caller's own person by default."""
    person_id = person_id or principal.person_id
    if person_id is None:
        raise NotFound("no person given and the caller has none")
    person = person_in_reach(session, reach(session, principal, COMP_REQUEST), person_id)
    return comptime.request_leave(session, person, starts_at, minutes, principal.sub)


def page(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    person_id: str | None,
    status: str | None,
) -> tuple[list[Leave], str | None]:
    """One page of the requests the caller may see, oldest first."""
    scope = reach(session, principal, RECORDS_READ)
    rows, nxt = leave_store.page(
        session,
        scope.persons_clause(LeaveRequest.person_id),
        page,
        person_id=person_id,
        status=status,
    )
    items = _read(session, rows)
    record_personal_data_read(
        session, personal_data_reads, principal, sorted({r.person_id for r in rows}), "comp-leave"
    )
    return items, nxt


def read(session: Session, principal: Principal, request_id: int) -> Leave:
    request, _ = _in_reach(session, request_id, principal, RECORDS_READ, True)
    record_personal_data_read(
        session, personal_data_reads, principal, [request.person_id], "comp-leave"
    )
    return _read(session, [request])[0]


def approve(session: Session, principal: Principal, request_id: int) -> Leave:
    """The named supervisor approves; the minutes were taken at the request."""
    request, person = _in_reach(session, request_id, principal, COMP_APPROVE, False)
    not_own(principal, person)
    comptime.approve_leave(session, request, decider(principal, person, "leave"), today_taipei())
    return _read(session, [request])[0]


def refuse(
    session: Session, principal: Principal, request_id: int, *, reason: str, note: str
) -> Leave:
    request, person = _in_reach(session, request_id, principal, COMP_APPROVE, False)
    not_own(principal, person)
    taken = comptime.refuse_leave(
        session,
        person,
        request,
        by=decider(principal, person, "leave"),
        reason=reason,
        note=note,
        today=today_taipei(),
    )
    return Leave(request, taken)


def cancel(session: Session, principal: Principal, request_id: int) -> Leave:
    request, person = _in_reach(session, request_id, principal, COMP_REQUEST, True)
    return Leave(
        request,
        comptime.cancel_leave(session, person, request, today_taipei(), by=principal.sub),
    )
