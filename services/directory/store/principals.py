"""What the gateway needs to know about an account, in one read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from services.directory.domain.review_rules import last_use_by_role
from services.directory.domain.search_grants import SEARCH_PERMISSION
from services.directory.models import Account, AccountRole, Person, RoleUsage
from services.directory.schemas import ResolvedPrincipal
from services.directory.store.accounts import roles_of
from services.directory.store.agencies import subtree_codes
from services.directory.store.roles import load_roles
from services.directory.store.search_grants import active_grant_of

# last_used_at is for account reviews ("is this account still used?"), where a
# minute's precision is plenty; writing it on every request would not be.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def resolve(session: Session, account: Account, today: date) -> ResolvedPrincipal:
    """The principal as of the Taipei day `today`: its roles' permissions, and
    `speakers:search` while the account holds an active lecturer-search grant
    (exactly as a role would give it, so the gateway needs no special case)."""
    roles = roles_of(session, [account.name]).get(account.name, [])
    stored = load_roles(session, roles)
    held = {p for name in roles if name in stored for p in stored[name].permissions}
    if account.kind == "human" and active_grant_of(session, account.name, today) is not None:
        held.add(SEARCH_PERMISSION)
    permissions = sorted(held)
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


def use_due(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a use at `now` is worth writing (at most once per LAST_USED_RESOLUTION)."""
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


def touch_last_used(session: Session, name: str, now: datetime) -> None:
    """Record the account's use at `now` unless one within LAST_USED_RESOLUTION
    is stored; the WHERE clause re-checks that in the database, so concurrent
    look-ups (or replicas) write the same minute once."""
    stale = now - LAST_USED_RESOLUTION
    session.execute(
        update(Account)
        .where(col(Account.name) == name)
        .where(or_(col(Account.last_used_at).is_(None), col(Account.last_used_at) <= stale))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


# Accounts looked up per query: well below SQLite's bound-parameter limit.
CHUNK = 1_000


def record_usage(session: Session, uses: Iterable[tuple[str, str, date]]) -> tuple[int, int]:
    """Credit each (account, permission family, day) to the account's roles that
    grant the family: their last day of use becomes the later of the stored one
    and this one. Accounts without such a role (unknown ones included) are
    skipped. Returns (accounts not registered, (account, role) pairs written)."""
    by_account: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for account, family, day in uses:
        by_account[account].append((family, day))
    names = sorted(by_account)
    held: dict[str, list[str]] = defaultdict(list)
    known: set[str] = set()
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        known.update(
            session.execute(select(col(Account.name)).where(col(Account.name).in_(chunk))).scalars()
        )
        rows = session.execute(
            select(col(AccountRole.account), col(AccountRole.role)).where(
                col(AccountRole.account).in_(chunk)
            )
        )
        for account, role in rows:
            held[account].append(role)
    permissions = {
        name: role.permissions
        for name, role in load_roles(session, {r for roles in held.values() for r in roles}).items()
    }
    rows_out = [
        {"account": account, "role": role, "last_used_on": day}
        for account in sorted(held)
        for role, day in sorted(
            last_use_by_role(
                {r: permissions.get(r, frozenset()) for r in held[account]}, by_account[account]
            ).items()
        )
    ]
    # Sorted, so that two replicas writing the same rows lock them in one order.
    for start in range(0, len(rows_out), CHUNK):
        _upsert_later(session, rows_out[start : start + CHUNK])
    return len(names) - len(known), len(rows_out)


def _upsert_later(session: Session, rows: list[dict[str, object]]) -> None:
    """INSERT, or on a row already there keep the later day (one statement, so
    concurrent reports of the same role cannot move its day backwards)."""
    if not rows:
        return
    table = RoleUsage.__table__  # type: ignore[attr-defined]
    keys = [table.c.account, table.c.role]
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(table).values(rows)
        session.execute(
            pg.on_conflict_do_update(
                index_elements=keys,
                set_={"last_used_on": pg.excluded.last_used_on},
                where=table.c.last_used_on < pg.excluded.last_used_on,
            )
        )
    else:
        lite = sqlite_insert(table).values(rows)
        session.execute(
            lite.on_conflict_do_update(
                index_elements=keys,
                set_={"last_used_on": lite.excluded.last_used_on},
                where=table.c.last_used_on < lite.excluded.last_used_on,
            )
        )
