"""Comp time: balances, the ledger, leave requests and their decisions, transfers."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic_core import to_json

from services.attendance.api.deps import (
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
from services.attendance.service import balances, leave
from services.attendance.service.comptime import Leave
from services.common.ids import Id
from services.common.pagination import Page, PageDep

router = APIRouter(tags=["comptime"])


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
    # The hot read: serialised straight from plain data, so the framework does
    # not validate 200 grants a second time (tests check the shape against
    # ComptimeBalanceOut, which stays the documented response model).
    balance = balances.balance(session, principal, person_id, as_of)
    return Response(to_json(balance), media_type="application/json")


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
    rows, nxt = balances.entries(session, principal, person_id, page)
    items = [EntryOut.model_validate(r, from_attributes=True) for r in rows]
    return Page[EntryOut](items=items, next_cursor=nxt, limit=page.limit)


def _checked_transfer(
    body: TransferIn, principal: CompTransferrer, peers: Annotated[Peers, Depends(peer_clients)]
) -> TransferIn:
    # A dependency, so that it is resolved before the write session: a call to
    # the directory never runs while this request holds a writer's turn or a lock.
    balances.check_destination(principal, body.to_agency, peers.directory)
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
    balance = balances.transfer(session, principal, person_id, body.to_agency, body.on)
    return ComptimeBalanceOut.model_validate(balance)


# ---------------------------------------------------------------- leave


def _leave_out(leave_: Leave) -> LeaveOut:
    out = LeaveOut.model_validate(leave_.request, from_attributes=True)
    out.allocations = [
        AllocationOut(grant_id=t.grant_id, minutes=t.minutes, expires_on=t.expires_on)
        for t in leave_.taken
    ]
    return out


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
    return _leave_out(
        leave.request(session, principal, body.person_id, body.starts_at, body.minutes)
    )


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
    rows, nxt = leave.page(session, principal, page, person_id=person_id, status=status)
    return Page[LeaveOut](items=[_leave_out(r) for r in rows], next_cursor=nxt, limit=page.limit)


@router.get("/comp-leave/{request_id}", summary="One comp-leave request", response_model=LeaveOut)
def get_comp_leave(request_id: Id, session: WriteSessionDep, principal: RecordsReader) -> LeaveOut:
    return _leave_out(leave.read(session, principal, request_id))


@router.post(
    "/comp-leave/{request_id}/approve",
    summary="Approve a comp-leave request (the unit supervisor)",
    response_model=LeaveOut,
    responses=ALREADY_DECIDED,
)
def approve_comp_leave(
    request_id: Id, session: WriteSessionDep, principal: CompApprover
) -> LeaveOut:
    return _leave_out(leave.approve(session, principal, request_id))


@router.post(
    "/comp-leave/{request_id}/refuse",
    summary="Refuse a comp-leave request; a business-necessity refusal is kept as evidence",
    response_model=LeaveOut,
    responses=ALREADY_DECIDED,
)
def refuse_comp_leave(
    request_id: Id, body: RefusalIn, session: WriteSessionDep, principal: CompApprover
) -> LeaveOut:
    return _leave_out(
        leave.refuse(session, principal, request_id, reason=body.reason, note=body.note)
    )


@router.post(
    "/comp-leave/{request_id}/cancel",
    summary="Cancel one's comp-leave request; the minutes return to the same grants",
    response_model=LeaveOut,
    responses=ALREADY_DECIDED,
)
def cancel_comp_leave(
    request_id: Id, session: WriteSessionDep, principal: CompRequester
) -> LeaveOut:
    return _leave_out(leave.cancel(session, principal, request_id))
