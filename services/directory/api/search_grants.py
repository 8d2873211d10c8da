"""Delegated lecturer search (授權查詢人員): a training officer authorises persons
of their agency to search the lecturer directory, within the agency's quota."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES
from services.common.ids import Id
from services.common.pagination import PageDep
from services.common.timeutil import now_utc, today_taipei
from services.directory.api.deps import WRITES_OPEN_IMMEDIATE, SearchGrantor
from services.directory.domain.search_grants import status as grant_status
from services.directory.models import SearchGrant
from services.directory.schemas import (
    AccountName,
    SearchGrantCreate,
    SearchGrantOut,
    SearchGrantPage,
    SearchGrantRevoke,
    SearchGrantStatus,
)
from services.directory.service import search_grants as use_case

router = APIRouter(tags=["search-grants"], dependencies=[WRITES_OPEN_IMMEDIATE])

GRANT_REFUSALS: dict[int | str, dict[str, Any]] = {
    409: {
        **PROBLEM_RESPONSES[500],
        "description": "Every search place of the agency is in use (`quota`, `in_use` given)",
    },
    422: {
        **PROBLEM_RESPONSES[500],
        "description": "Refused by a search grant rule; `errors` names each rule broken "
        "(unknown_account, not_human, account_disabled, other_agency, not_in_service, "
        "searches_by_role, already_granted, in_the_past, too_far, quota_reached); "
        "`quota` and `in_use` given",
    },
}
REVOKE_REFUSALS: dict[int | str, dict[str, Any]] = {
    409: {**PROBLEM_RESPONSES[500], "description": "The grant is already revoked or expired"},
}
StatusQuery = Annotated[
    list[SearchGrantStatus] | None,
    Query(description="Only grants in these states (repeatable); all when absent"),
]


def _out(row: SearchGrant) -> SearchGrantOut:
    return SearchGrantOut(
        id=row.id or 0,
        agency_code=row.agency_code,
        account=row.grantee_account,
        person_id=row.grantee_person_id,
        granted_by=row.granted_by,
        granted_at=row.granted_at,
        ends_on=row.ends_on,
        status=grant_status(row, today_taipei()),
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        revoked_reason=row.revoked_reason,
    )


@router.get(
    "/agencies/{code}/search-grants",
    summary="The agency's lecturer-search grants, with its quota and the places in use",
    response_model=SearchGrantPage,
)
def list_search_grants(
    session: SessionDep,
    principal: SearchGrantor,
    page: PageDep,
    code: str,
    status: StatusQuery = None,
    account: AccountName | None = None,
) -> SearchGrantPage:
    rows, cursor, held = use_case.list_grants(
        session,
        principal,
        code,
        page,
        today=today_taipei(),
        statuses=status or (),
        account=account,
    )
    return SearchGrantPage(
        items=[_out(r) for r in rows],
        next_cursor=cursor,
        limit=page.limit,
        quota=held.quota,
        in_use=held.in_use,
        free=held.free,
    )


@router.post(
    "/agencies/{code}/search-grants",
    summary="Authorise a person of the agency to search the lecturer directory until a date",
    response_model=SearchGrantOut,
    status_code=201,
    responses=GRANT_REFUSALS,
)
def create_search_grant(
    session: SessionDep, principal: SearchGrantor, code: str, body: SearchGrantCreate
) -> SearchGrantOut:
    row = use_case.grant(
        session,
        principal,
        code,
        body.account,
        body.ends_on,
        today=today_taipei(),
        now=now_utc(),
    )
    return _out(row)


@router.get(
    "/agencies/{code}/search-grants/{grant_id}",
    summary="One lecturer-search grant",
    response_model=SearchGrantOut,
)
def get_search_grant(
    session: SessionDep, principal: SearchGrantor, code: str, grant_id: Id
) -> SearchGrantOut:
    return _out(use_case.read_grant(session, principal, code, grant_id))


@router.post(
    "/agencies/{code}/search-grants/{grant_id}/revoke",
    summary="Revoke a lecturer-search grant now; its place is free at once",
    response_model=SearchGrantOut,
    responses=REVOKE_REFUSALS,
)
def revoke_search_grant(
    session: SessionDep,
    principal: SearchGrantor,
    code: str,
    grant_id: Id,
    body: SearchGrantRevoke,
) -> SearchGrantOut:
    row = use_case.revoke(
        session, principal, code, grant_id, body.reason, today=today_taipei(), now=now_utc()
    )
    return _out(row)
