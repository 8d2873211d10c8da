"""What the gateway asks: who is this account, and is this machine's secret right;
and what it reports: which permissions accounts used, for the account review."""

from fastapi import APIRouter

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES
from services.common.timeutil import now_utc
from services.directory.api.deps import PrincipalResolver
from services.directory.schemas import (
    ClientCredentials,
    ResolvedPrincipal,
    UsageRecorded,
    UsageReport,
)
from services.directory.service import principals as use_case

# Only the gateway calls these (with its own internal token), so they are left
# out of the public document and have no gateway route: clients cannot reach them.
router = APIRouter(tags=["principals"], include_in_schema=False)


@router.get(
    "/principals/{account_name}",
    summary="Resolve an account to the principal the gateway vouches for",
    response_model=ResolvedPrincipal,
)
def resolve_principal(
    session: SessionDep, _gateway: PrincipalResolver, account_name: str
) -> ResolvedPrincipal:
    return use_case.resolve_principal(session, account_name, now_utc())


@router.post(
    "/principals/client-credentials",
    summary="Check a machine or service account's client secret and resolve it",
    response_model=ResolvedPrincipal,
    responses={401: PROBLEM_RESPONSES[401]},
)
def resolve_client_credentials(
    session: SessionDep, _gateway: PrincipalResolver, body: ClientCredentials
) -> ResolvedPrincipal:
    return use_case.resolve_client_credentials(
        session, body.client_id, body.client_secret.get_secret_value(), now_utc()
    )


@router.post(
    "/principals/usage",
    summary="Record which permission families accounts used, and on which day",
    response_model=UsageRecorded,
    responses={422: PROBLEM_RESPONSES[422]},
)
def record_usage(
    session: SessionDep, gateway: PrincipalResolver, body: UsageReport
) -> UsageRecorded:
    """The gateway's batch of (account, permission family, Taipei day), one entry
    per allowed account × family × day. Each use is credited to the account's
    roles that grant the family; an account the directory does not know is
    ignored. A day after today (a clock ahead) counts as today."""
    unknown, recorded = use_case.record_usage(
        session, gateway.sub, ((e.account, e.permission, e.used_on) for e in body.entries)
    )
    return UsageRecorded(
        entries=len(body.entries), unknown_accounts=unknown, roles_recorded=recorded
    )
