"""What the gateway needs to know about an account, in one read."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col

from services.directory.models import Account, Person
from services.directory.schemas import ResolvedPrincipal
from services.directory.store.accounts import roles_of
from services.directory.store.agencies import subtree_codes
from services.directory.store.roles import load_roles

# last_used_at is for account reviews ("is this account still used?"), where a
# minute's precision is plenty; writing it on every request would not be.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def resolve(session: Session, account: Account) -> ResolvedPrincipal:
    roles = roles_of(session, [account.name]).get(account.name, [])
    stored = load_roles(session, roles)
    permissions = sorted({p for name in roles if name in stored for p in stored[name].permissions})
    if account.include_subordinates:
        scope = subtree_codes(session, account.agency_code)
    else:
        scope = [account.agency_code]
    person = session.get(Person, account.person_id)
    return ResolvedPrincipal(
        account=account.name,
        kind=account.kind,
        status=account.status,
        person_id=account.person_id if account.kind == "human" else None,
        agency_code=account.agency_code,
        agency_scope=scope,
        roles=sorted(roles),
        permissions=permissions,
        allowed_networks=list(account.allowed_networks),
        person_status=person.status if person is not None else None,
    )


def touch_last_used(session: Session, account: Account, now: datetime) -> None:
    """Record use at most once per LAST_USED_RESOLUTION; the WHERE clause keeps
    concurrent replicas from writing the same minute twice."""
    if account.last_used_at is not None and now - account.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = now - LAST_USED_RESOLUTION
    session.execute(
        update(Account)
        .where(col(Account.name) == account.name)
        .where(or_(col(Account.last_used_at).is_(None), col(Account.last_used_at) <= stale))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
