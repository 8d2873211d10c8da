"""What the gateway asks: who is this account, and is this machine's secret right;
and what it reports: which permissions accounts used, for the account review."""

from fastapi import APIRouter

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES, NotFound, Unauthorized
from services.common.timeutil import now_utc, today_taipei
from services.directory import client_secrets
from services.directory.api.deps import PRINCIPALS_RESOLVE, PrincipalResolver
from services.directory.roles import NON_HUMAN_KINDS
from services.directory.schemas import (
    ClientCredentials,
    ResolvedPrincipal,
    UsageRecorded,
    UsageReport,
)
from services.directory.store import accounts as account_store
from services.directory.store import principals as store

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
    account = account_store.get_account(session, account_name)
    if account is None:
        raise NotFound("account not registered")
    resolved = store.resolve(session, account)
    if account.status == "active":
        store.touch_last_used(session, account, now_utc())
    return resolved


@router.post(
    "/principals/client-credentials",
    summary="Check a machine or service account's client secret and resolve it",
    response_model=ResolvedPrincipal,
    responses={401: PROBLEM_RESPONSES[401]},
)
def resolve_client_credentials(
    session: SessionDep, _gateway: PrincipalResolver, body: ClientCredentials
) -> ResolvedPrincipal:
    now = now_utc()
    account = account_store.get_account(session, body.client_id)
    usable = (
        account is not None and account.kind in NON_HUMAN_KINDS and account.status == "active"
    )
    current = account_store.current_secrets(session, body.client_id, now) if usable else []
    # Every candidate is checked, padded with decoys to the usual rotation
    # overlap of two, so that an unknown account, a human one and a wrong
    # secret take the same time as a real refusal.
    hashes = [s.secret_hash for s in current]
    hashes += [client_secrets.DECOY_HASH] * max(0, 2 - len(hashes))
    presented = body.client_secret.get_secret_value()
    matched = [client_secrets.verify(presented, h) for h in hashes]
    if account is None or not current or not any(matched):
        raise Unauthorized("invalid client credentials", slug="invalid-client",
                           title="Invalid client")
    store.touch_last_used(session, account, now)
    return store.resolve(session, account)


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
    today = today_taipei()
    unknown, recorded = store.record_usage(
        session, ((e.account, e.permission, min(e.used_on, today)) for e in body.entries)
    )
    # The caller talks to the directory itself, never through its own routes: its
    # reporting is its use of the role that lets it resolve principals.
    store.record_usage(session, [(gateway.sub, PRINCIPALS_RESOLVE, today)])
    return UsageRecorded(
        entries=len(body.entries), unknown_accounts=unknown, roles_recorded=recorded
    )
