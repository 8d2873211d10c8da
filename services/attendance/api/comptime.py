"""Comp time: balances, the ledger, leave requests and their decisions, transfers."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic_core import to_json
from sqlmodel import Session, col, select

from services.attendance.access import person_in_reach, reach
from services.attendance.api.deps import (
    COMP_APPROVE,
    COMP_REQUEST,
    COMP_TRANSFER,
    RECORDS_READ,
    CompApprover,
    CompRequester,
    CompTransferrer,
    RecordsReader,
    WriteSessionDep,
)
from services.attendance.api.responses import (
    ALREADY_DECIDED,
    DIRECTORY_UNAVAILABLE,
    NOT_ENOUGH_COMP_TIME,
)
from services.attendance.clients import Peers, peer_clients
from services.attendance.models import (
    ComptimeEntry,
    ComptimeGrant,
    LeaveRequest,
    RosterPerson,
    personal_data_reads,
)
from services.attendance.schemas import (
    AllocationOut,
    ComptimeBalanceOut,
    Day,
    EntryOut,
    LeaveIn,
    LeaveOut,
    RefusalIn,
    TransferIn,
)
from services.attendance.service import comptime
from services.attendance.store import ledger as ledger_store
from services.attendance.store import roster
from services.common.audit import record_personal_data_read
from services.common.errors import Forbidden, NotFound
from services.common.ids import Id
from services.common.pagination import Page, PageDep, encode_cursor
from services.common.principal import Principal
from services.common.reach import scopes
from services.common.timeutil import today_taipei

router = APIRouter(tags=["comptime"])


def _balance(session: Session, person: RosterPerson, day: date) -> dict[str, Any]:
    """The balance as plain data in the shape of `ComptimeBalanceOut`. Built
    from tuples, not a model per grant: with hundreds of grants, validating
    each one again cost more than reading them."""
    grants = ledger_store.person_grants(session, person.person_id)
    return {
        "person_id": person.person_id,
        "agency_code": person.agency_code,
        "as_of": day,
        # Each grant's remaining is the sum of its entries and never negative, so
        # the grants with minutes left add up to the whole ledger: one query.
        "balance_minutes": sum(g[4] for g in grants),
        "usable_minutes": sum(g[4] for g in grants if g[1] <= day <= g[2]),
        "grants": [
            {
                "grant_id": grant_id,
                "earned_on": earned_on,
                "expires_on": expires_on,
                "minutes": minutes,
                "remaining": remaining,
            }
            for grant_id, earned_on, expires_on, minutes, remaining in grants
        ],
    }


def _balance_out(session: Session, person: RosterPerson, day: date) -> ComptimeBalanceOut:
    return ComptimeBalanceOut.model_validate(_balance(session, person, day))


@router.get(
    "/persons/{person_id}/comp-time",
    summary="A person's comp-time balance, grant by grant, earliest expiry first",
    response_model=ComptimeBalanceOut,
)
def get_comptime_balance(
    person_id: str,
    session: WriteSessionDep,
    principal: RecordsReader,
    as_of: Day | None = None,
) -> Response:
    person = person_in_reach(session, reach(session, principal, RECORDS_READ), person_id)
    day = as_of or today_taipei()
    record_personal_data_read(
        session, personal_data_reads, principal, [person.person_id], "comp-time"
    )
    # The hot read: serialised straight from plain data, so the framework does
    # not validate 200 grants a second time (tests check the shape against
    # ComptimeBalanceOut, which stays the documented response model).
    return Response(to_json(_balance(session, person, day)), media_type="application/json")


@router.get(
    "/persons/{person_id}/comp-time/entries",
    summary="A person's comp-time ledger entries, oldest first",
    response_model=Page[EntryOut],
)
def list_comptime_entries(
    person_id: str,
    session: WriteSessionDep,
    principal: RecordsReader,
    page: PageDep,
) -> Page[EntryOut]:
    person = person_in_reach(session, reach(session, principal, RECORDS_READ), person_id)
    stmt = select(ComptimeEntry).where(col(ComptimeEntry.person_id) == person.person_id)
    after = page.after(int)
    if after is not None:
        stmt = stmt.where(col(ComptimeEntry.id) > after)
    rows = list(session.exec(stmt.order_by(col(ComptimeEntry.id)).limit(page.limit + 1)).all())
    items = [EntryOut.model_validate(r, from_attributes=True) for r in rows[: page.limit]]
    record_personal_data_read(
        session, personal_data_reads, principal, [person.person_id], "comp-time-entries"
    )
    nxt = encode_cursor([items[-1].id]) if len(rows) > page.limit else None
    return Page[EntryOut](items=items, next_cursor=nxt, limit=page.limit)


def _checked_transfer(
    body: TransferIn, principal: CompTransferrer, peers: Annotated[Peers, Depends(peer_clients)]
) -> TransferIn:
    # A dependency, so that it is resolved before the write session: a call to
    # the directory never runs while this request holds a writer's turn or a lock.
    held = scopes(principal, COMP_TRANSFER)
    reachable = None if held.everything else (held.agencies or frozenset())
    comptime.check_destination(reachable, body.to_agency, peers.directory)
    return body


@router.post(
    "/persons/{person_id}/comp-time/transfer",
    summary="Transfer a person to another agency of the caller's scope; comp time moves "
    "with its dates",
    response_model=ComptimeBalanceOut,
    responses=DIRECTORY_UNAVAILABLE,
)
def transfer_comptime(
    person_id: str,
    body: Annotated[TransferIn, Depends(_checked_transfer)],
    session: WriteSessionDep,
    principal: CompTransferrer,
) -> ComptimeBalanceOut:
    person = person_in_reach(session, reach(session, principal, COMP_TRANSFER), person_id)
    comptime.transfer(session, person, body.to_agency, body.on or today_taipei())
    day = today_taipei()
    return _balance_out(session, person, day)


# ---------------------------------------------------------------- leave


def _leave_out(session: Session, request: LeaveRequest) -> LeaveOut:
    assert request.id is not None
    uses = [e for e in ledger_store.request_entries(session, [request.id]) if e.kind == "use"]
    grants = session.exec(
        select(ComptimeGrant).where(col(ComptimeGrant.id).in_([e.grant_id for e in uses]))
    ).all()
    expiries = {g.id: g.expires_on for g in grants}
    out = LeaveOut.model_validate(request, from_attributes=True)
    out.allocations = [
        AllocationOut(grant_id=e.grant_id, minutes=-e.minutes, expires_on=expiries[e.grant_id])
        for e in uses
    ]
    return out


def _leave_in_reach(
    session: Session, request_id: int, principal: Principal, permission: str, whole_unit: bool
) -> tuple[LeaveRequest, RosterPerson]:
    request = session.get(LeaveRequest, request_id)
    if request is None:
        raise NotFound("no such leave request")
    person = roster.get(session, request.person_id)
    scope = reach(session, principal, permission, whole_unit=whole_unit)
    if person is None or not scope.covers(person):
        raise NotFound("no such leave request")
    return request, person


@router.post(
    "/comp-leave",
    summary="Request comp leave; the minutes are taken earliest expiry first",
    response_model=LeaveOut,
    status_code=201,
    responses=NOT_ENOUGH_COMP_TIME,
)
def request_comp_leave(
    body: LeaveIn, session: WriteSessionDep, principal: CompRequester
) -> LeaveOut:
    person_id = body.person_id or principal.person_id
    if person_id is None:
        raise NotFound("no person given and the caller has none")
    person = person_in_reach(session, reach(session, principal, COMP_REQUEST), person_id)
    request = comptime.request_leave(session, person, body.starts_at, body.minutes, principal.sub)
    return _leave_out(session, request)


@router.get(
    "/comp-leave", summary="Comp-leave requests the caller may see", response_model=Page[LeaveOut]
)
def list_comp_leave(
    session: WriteSessionDep,
    principal: RecordsReader,
    page: PageDep,
    person_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["pending", "approved", "refused", "cancelled"] | None = None,
) -> Page[LeaveOut]:
    scope = reach(session, principal, RECORDS_READ)
    stmt = select(LeaveRequest).where(scope.persons_clause(LeaveRequest.person_id))
    if person_id is not None:
        stmt = stmt.where(col(LeaveRequest.person_id) == person_id)
    if status is not None:
        stmt = stmt.where(col(LeaveRequest.status) == status)
    after = page.after(int)
    if after is not None:
        stmt = stmt.where(col(LeaveRequest.id) > after)
    rows = list(session.exec(stmt.order_by(col(LeaveRequest.id)).limit(page.limit + 1)).all())
    items = [_leave_out(session, r) for r in rows[: page.limit]]
    record_personal_data_read(
        session, personal_data_reads, principal, sorted({i.person_id for i in items}), "comp-leave"
    )
    nxt = encode_cursor([items[-1].id]) if len(rows) > page.limit else None
    return Page[LeaveOut](items=items, next_cursor=nxt, limit=page.limit)


@router.get("/comp-leave/{request_id}", summary="One comp-leave request", response_model=LeaveOut)
def get_comp_leave(request_id: Id, session: WriteSessionDep, principal: RecordsReader) -> LeaveOut:
    request, _ = _leave_in_reach(session, request_id, principal, RECORDS_READ, True)
    record_personal_data_read(
        session, personal_data_reads, principal, [request.person_id], "comp-leave"
    )
    return _leave_out(session, request)


def _decider(principal: Principal, person: RosterPerson) -> str:
    if principal.person_id is None or principal.person_id == person.person_id:
        raise Forbidden("no one decides on their own leave")
    return principal.person_id


@router.post(
    "/comp-leave/{request_id}/approve",
    summary="Approve a comp-leave request (the unit supervisor)",
    response_model=LeaveOut,
    responses=ALREADY_DECIDED,
)
def approve_comp_leave(
    request_id: Id, session: WriteSessionDep, principal: CompApprover
) -> LeaveOut:
    request, person = _leave_in_reach(session, request_id, principal, COMP_APPROVE, False)
    comptime.approve_leave(session, request, _decider(principal, person), today_taipei())
    return _leave_out(session, request)


@router.post(
    "/comp-leave/{request_id}/refuse",
    summary="Refuse a comp-leave request; a business-necessity refusal is kept as evidence",
    response_model=LeaveOut,
    responses=ALREADY_DECIDED,
)
def refuse_comp_leave(
    request_id: Id, body: RefusalIn, session: WriteSessionDep, principal: CompApprover
) -> LeaveOut:
    request, person = _leave_in_reach(session, request_id, principal, COMP_APPROVE, False)
    comptime.refuse_leave(
        session,
        person,
        request,
        by=_decider(principal, person),
        reason=body.reason,
        note=body.note,
        today=today_taipei(),
    )
    return _leave_out(session, request)


@router.post(
    "/comp-leave/{request_id}/cancel",
    summary="Cancel one's comp-leave request; the minutes return to the same grants",
    response_model=LeaveOut,
    responses=ALREADY_DECIDED,
)
def cancel_comp_leave(
    request_id: Id, session: WriteSessionDep, principal: CompRequester
) -> LeaveOut:
    request, person = _leave_in_reach(session, request_id, principal, COMP_REQUEST, True)
    comptime.cancel_leave(session, person, request, today_taipei())
    return _leave_out(session, request)
