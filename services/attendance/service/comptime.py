"""Moving comp time: grants, leave requests, transfers, expiry and settlement.

Every action here runs with the person's anchor row locked (see
`store.locking`), rebuilds the pure `ComptimeLedger` from the stored entries,
lets it decide, and appends the entries it produced. The database ledger
therefore never holds a movement the pure ledger would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from sqlmodel import Session

from services.attendance.domain.comptime import (
    ComptimeLedger,
    InsufficientBalance,
    PersonStatus,
    Refusal,
    SettlementOutcome,
    expiry_date,
    refused_expired_minutes,
    settlement_amount,
    settlement_decision,
)
from services.attendance.models import (
    LeaveRequest,
    OvertimeRecord,
    RosterPerson,
    Settlement,
)
from services.attendance.service.problems import NotEnoughComptime
from services.attendance.store import leave as leave_store
from services.attendance.store import ledger as ledger_store
from services.attendance.store import policy, roster, settlements
from services.attendance.store.ledger import Taken
from services.attendance.store.locking import lock_person
from services.common.errors import Conflict, FieldError, Forbidden, Invalid
from services.common.timeutil import now_utc, taipei_date


def grant_for_overtime(session: Session, person: RosterPerson, row: OvertimeRecord) -> int:
    """The grant approved comp-time overtime earns: its minutes, on a clock
    that starts on the overtime's Taipei day, for the agency's validity."""
    lock_person(session, person.person_id)
    validity = policy.agency_policy(session, person.agency_code).validity_months
    ledger = ledger_store.load_ledger(session, person.person_id, person.agency_code)
    grant_row = ledger_store.add_grant_row(
        session,
        person_id=person.person_id,
        agency_code=person.agency_code,
        overtime_id=row.id,
        earned_on=row.day,
        minutes=row.minutes,
        expires_on=expiry_date(row.day, validity),
    )
    _, added = ledger.add_grant(ledger_store.to_grant(grant_row))
    ledger_store.append(session, person.person_id, added)
    assert grant_row.id is not None
    return grant_row.id


def taken(ledger: ComptimeLedger, request_id: int) -> tuple[Taken, ...]:
    """What the request took, grant by grant, as the ledger now stands; the
    minutes stay listed after a refusal or a cancellation gives them back."""
    return tuple(
        Taken(int(a.grant_id), a.minutes, ledger.grant(a.grant_id).expires_on)
        for a in ledger.request_allocations(str(request_id))
    )


@dataclass(frozen=True)
class Leave:
    """A leave request and what it took: the ledger that decided it already
    knows, so its answer needs no second reading of the grants."""

    request: LeaveRequest
    taken: tuple[Taken, ...]


def request_leave(
    session: Session, person: RosterPerson, starts_at: datetime, minutes: int, actor: str
) -> Leave:
    """Take the minutes now, earliest expiry first, so that a pending request
    already holds them; refusing or cancelling gives them back."""
    lock_person(session, person.person_id)
    ledger = ledger_store.load_ledger(session, person.person_id, person.agency_code)
    leave_day = taipei_date(starts_at)
    request = LeaveRequest(
        person_id=person.person_id,
        agency_code=person.agency_code,
        starts_at=starts_at,
        leave_day=leave_day,
        minutes=minutes,
        requested_by=actor,
    )
    leave_store.add(session, request)
    assert request.id is not None
    try:
        ledger, added = ledger.use(str(request.id), minutes, leave_day)
    except InsufficientBalance as exc:
        raise NotEnoughComptime(exc) from None
    except ValueError as exc:
        raise Invalid(
            str(exc), errors=[FieldError(field="body.minutes", reason=str(exc), code="unit")]
        ) from None
    ledger_store.append(session, person.person_id, added)
    return Leave(request, taken(ledger, request.id))


def _decide(request: LeaveRequest, status: str, by: str | None, today: date) -> None:
    request.status = status
    request.decided_by = by
    request.decided_at = now_utc()
    request.decided_on = today


def approve_leave(session: Session, request: LeaveRequest, by: str, today: date) -> None:
    if request.status != "pending":
        raise Conflict(f"the request is already {request.status}")
    _decide(request, "approved", by, today)
    leave_store.save(session, request)


def _restore(
    session: Session, person: RosterPerson, request: LeaveRequest, today: date
) -> tuple[Taken, ...]:
    lock_person(session, person.person_id)
    ledger = ledger_store.load_ledger(session, person.person_id, person.agency_code)
    assert request.id is not None
    ledger, added = ledger.cancel(str(request.id), today)
    ledger_store.append(session, person.person_id, added)
    return taken(ledger, request.id)


def refuse_leave(
    session: Session,
    person: RosterPerson,
    request: LeaveRequest,
    *,
    by: str,
    reason: str,
    note: str,
    today: date,
) -> tuple[Taken, ...]:
    """Refuse and give the minutes back to the same grants. A refusal for
    business necessity, with its note, is what later makes lapsed hours payable.
    Returns what the request had taken."""
    if request.status != "pending":
        raise Conflict(f"the request is already {request.status}")
    took = _restore(session, person, request, today)
    _decide(request, "refused", by, today)
    request.refusal_reason = reason
    request.refusal_note = note
    leave_store.save(session, request)
    return took


def cancel_leave(
    session: Session,
    person: RosterPerson,
    request: LeaveRequest,
    today: date,
    by: str | None = None,
) -> tuple[Taken, ...]:
    """Cancel and give the minutes back; returns what the request had taken. The
    cancellation is the request's last decision: `decided_by`/`decided_on` say
    who cancelled it and when (the holder, or an HR officer), never a null
    beside a date."""
    if request.status not in ("pending", "approved"):
        raise Conflict(f"the request is already {request.status}")
    took = _restore(session, person, request, today)
    _decide(request, "cancelled", by or request.requested_by, today)
    leave_store.save(session, request)
    return took


class AgencyRegistry(Protocol):
    """Who can tell whether an agency exists: the directory, asked on the caller's behalf."""

    def agency_exists(self, code: str, *, field: str) -> bool: ...


def check_destination(
    reachable: frozenset[str] | None,
    to_agency: str,
    directory: Callable[[], AgencyRegistry],
    *,
    field: str = "body.to_agency",
) -> None:
    """A person may be moved only into an agency the caller reaches (else they
    would leave the caller's reach, and no import could bring them back) and
    that exists. `reachable` is what the caller's transfer grant reaches, None
    for every agency.

    How existence is known: the directory alone keeps agencies. The roster and
    the policies here hold agency codes only as far as someone wrote them, so an
    agency with nobody imported yet would look unknown. A scoped caller's agency
    scope is the directory's own answer: the gateway resolved it from the
    directory's agency tree (whose rows are never deleted) at most the account
    TTL ago and signed it into the token, so a code in it exists and no call is
    needed (nor a dependency on the directory being up). A caller granted every
    agency has no such list, so the directory is asked, on that caller's behalf.
    """
    if reachable is not None:
        if to_agency not in reachable:
            # The directory refuses the same move in the same words (403).
            raise Forbidden(
                "the agency is outside your scope",
                errors=[
                    FieldError(
                        field=field,
                        reason="agency outside the caller's agency scope",
                        code="out_of_scope",
                    )
                ],
            )
        return
    if not directory().agency_exists(to_agency, field=field):
        raise Invalid(
            "unknown agency",
            errors=[FieldError(field=field, reason="no such agency", code="unknown_agency")],
        )


def transfer(session: Session, person: RosterPerson, to_agency: str, on: date) -> int:
    """Continuous service: every remaining minute moves, each grant keeping
    its dates. Returns the minutes moved. The destination is the caller's to
    check first (`check_destination`; the roster import checks its own scope)."""
    if to_agency == person.agency_code:
        raise Invalid(
            "the person is already in that agency",
            errors=[FieldError(field="body.to_agency", reason="same agency", code="same")],
        )
    lock_person(session, person.person_id)
    ledger = ledger_store.load_ledger(session, person.person_id, person.agency_code)
    _, added = ledger.transfer(to_agency, on)
    ledger_store.append(session, person.person_id, added)
    person.agency_code = to_agency
    person.updated_at = now_utc()
    roster.save(session, person)
    return sum(e.minutes for e in added if e.minutes > 0)


def _refusal_per_grant(ledger: ComptimeLedger, refusals: list[Refusal]) -> dict[str, int]:
    """Per grant, the earliest recorded refusal that drew on it while it ran:
    the refusal its settlement rests on."""
    grants = {g.grant_id: g for g in ledger.grants}
    found: dict[str, int] = {}
    for refusal in sorted(refusals, key=lambda r: (r.refused_on, int(r.request_id))):
        for allocation in refusal.allocations:
            grant = grants.get(allocation.grant_id)
            if grant is not None and grant.usable_on(refusal.refused_on):
                found.setdefault(allocation.grant_id, int(refusal.request_id))
    return found


@dataclass
class ExpiryResult:
    expired_minutes: int = 0
    settlements: list[Settlement] = field(default_factory=list)


def expire_person(session: Session, person: RosterPerson, today: date) -> ExpiryResult:
    """Settle what a recorded business-necessity refusal kept the person from
    taking, then expire the rest of every grant whose last day is past."""
    lock_person(session, person.person_id)
    ledger = ledger_store.load_ledger(session, person.person_id, person.agency_code)
    refusals = [
        Refusal(
            request_id=str(r.id),
            refused_on=r.decided_on or taipei_date(r.decided_at or r.created_at),
            allocations=ledger.request_allocations(str(r.id)),
            business_necessity=True,
            # The refusal note is required by the API, so a stored refusal is on record.
            on_record=bool(r.refusal_note),
        )
        for r in leave_store.business_necessity_refusals(session, person.person_id)
    ]
    result = ExpiryResult()
    resting_on = _refusal_per_grant(ledger, refusals)
    budget_exhausted = policy.agency_policy(session, person.agency_code).budget_exhausted
    # A grant is settled once: minutes put back on it later (an approved leave
    # cancelled after the lapse) were never refused, so they simply expire.
    already = settlements.settled_grant_ids(session, person.person_id)
    for grant_id, minutes in sorted(refused_expired_minutes(ledger, refusals, today).items()):
        if int(grant_id) in already:
            continue
        decision = settlement_decision(
            PersonStatus(person.status),
            applied=True,
            refused_for_business_necessity=True,
            refusal_on_record=True,
            budget_exhausted=budget_exhausted,
        )
        if decision.outcome is SettlementOutcome.NONE:
            continue
        lapsed_on = ledger.grant(grant_id).expires_on + timedelta(days=1)
        ledger, added = ledger.settle(grant_id, minutes, lapsed_on, decision.outcome.value)
        ledger_store.append(session, person.person_id, added)
        row = Settlement(
            person_id=person.person_id,
            agency_code=person.agency_code,
            grant_id=int(grant_id),
            minutes=minutes,
            outcome=decision.outcome.value,
            reason=decision.reason,
            hourly_rate=person.hourly_rate,
            # A commendation is not money; only pay carries an amount.
            amount=(
                settlement_amount(minutes, person.hourly_rate)
                if decision.outcome is SettlementOutcome.PAY
                else Decimal(0)
            ),
            expired_on=lapsed_on,
            leave_request_id=resting_on.get(grant_id),
        )
        settlements.add(session, row)
        result.settlements.append(row)
    ledger, added = ledger.expire_due(today)
    ledger_store.append(session, person.person_id, added)
    result.expired_minutes = -sum(e.minutes for e in added)
    return result
