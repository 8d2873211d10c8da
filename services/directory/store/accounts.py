"""Accounts, their roles and their client secrets."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from services.common.errors import Conflict
from services.common.pagination import PageParams, paginate
from services.directory.domain.account_rules import SYSTEM_ADMIN_ROLE
from services.directory.domain.review_rules import GONE
from services.directory.models import Account, AccountRole, ClientSecret, Person, Role
from services.directory.roles import NON_HUMAN_KINDS

# Shown to account administrators, who read no personnel records: it says the
# holder is gone, not whether they left or died.
HOLDER_GONE_REASON = "holder no longer in service"


def get_account(session: Session, name: str) -> Account | None:
    return session.get(Account, name)


def list_accounts(
    session: Session,
    visible: ColumnElement[bool],
    params: PageParams,
    *,
    kind: str | None = None,
    status: str | None = None,
    agency: str | None = None,
    role: str | None = None,
) -> tuple[list[Account], str | None]:
    stmt = select(Account).where(visible)
    if kind is not None:
        stmt = stmt.where(col(Account.kind) == kind)
    if status is not None:
        stmt = stmt.where(col(Account.status) == status)
    if agency is not None:
        stmt = stmt.where(col(Account.agency_code) == agency)
    if role is not None:
        holders = select(col(AccountRole.account)).where(col(AccountRole.role) == role)
        stmt = stmt.where(col(Account.name).in_(holders))
    return paginate(session, stmt, col(Account.name), params)


def roles_of(session: Session, names: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if names:
        rows = session.execute(
            select(col(AccountRole.account), col(AccountRole.role))
            .where(col(AccountRole.account).in_(names))
            .order_by(col(AccountRole.role))
        )
        for account, role in rows:
            out[account].append(role)
    return out


def create_account(session: Session, account: Account, roles: list[str]) -> Account:
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
            for role in sorted(set(roles)):
                session.add(AccountRole(account=account.name, role=role))
    except IntegrityError:
        raise Conflict("an account with this name already exists") from None
    return account


def replace_roles(session: Session, account: str, roles: list[str]) -> None:
    """Make `roles` the account's roles. Roles it keeps keep their grant date
    (and their record of use); roles taken away lose both; new ones are granted
    today."""
    wanted = set(roles)
    held = set(roles_of(session, [account]).get(account, []))
    if held - wanted:
        session.execute(
            delete(AccountRole)
            .where(col(AccountRole.account) == account)
            .where(col(AccountRole.role).in_(sorted(held - wanted)))
        )
    for role in sorted(wanted - held):
        session.add(AccountRole(account=account, role=role))
    session.flush()


def save_account(session: Session, account: Account) -> Account:
    session.add(account)
    session.flush()
    return account


def list_secrets(session: Session, account: str) -> list[ClientSecret]:
    return list(
        session.execute(
            select(ClientSecret)
            .where(col(ClientSecret.account) == account)
            .order_by(col(ClientSecret.id))
        ).scalars()
    )


def add_secret(
    session: Session, account: str, secret_hash: str, expires_at: datetime | None
) -> ClientSecret:
    row = ClientSecret(account=account, secret_hash=secret_hash, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row


def get_secret(session: Session, account: str, secret_id: int) -> ClientSecret | None:
    row = session.get(ClientSecret, secret_id)
    if row is None or row.account != account:
        return None
    return row


def revoke_secret(session: Session, row: ClientSecret, now: datetime) -> ClientSecret:
    row.revoked_at = now
    session.add(row)
    session.flush()
    return row


def current_secrets(session: Session, account: str, now: datetime) -> list[ClientSecret]:
    """Secrets neither revoked nor expired at `now` (more than one while rotating)."""
    return [
        s
        for s in list_secrets(session, account)
        if s.revoked_at is None and (s.expires_at is None or s.expires_at > now)
    ]


def disable_holders_who_left(
    session: Session, person_ids: list[str] | None, now: datetime
) -> list[str]:
    """Disable the active human accounts of persons no longer in service (of
    `person_ids`, or of everyone when None); returns the accounts disabled.

    One conditional UPDATE: running it again, or beside a concurrent run,
    disables nothing twice. Machine accounts are left as they are: the gateway
    already refuses one whose owner is gone, and the account review reports it,
    so that the agency can name a new owner instead of losing a nightly job."""
    gone = select(col(Person.id)).where(col(Person.status).in_(GONE))
    if person_ids is not None:
        if not person_ids:
            return []
        gone = gone.where(col(Person.id).in_(sorted(set(person_ids))))
    result = session.execute(
        update(Account)
        .where(col(Account.kind) == "human")
        .where(col(Account.status) == "active")
        .where(col(Account.person_id).in_(gone))
        .values(status="disabled", disabled_at=now, disabled_reason=HOLDER_GONE_REASON)
        .returning(col(Account.name))
        .execution_options(synchronize_session=False)
    )
    names = sorted(result.scalars())
    # The session may hold these accounts already loaded: let it read them again.
    for account in session.identity_map.values():
        if isinstance(account, Account) and account.name in names:
            session.expire(account)
    return names


def active_human_accounts_of(session: Session, person_ids: list[str]) -> list[str]:
    if not person_ids:
        return []
    return sorted(
        session.execute(
            select(col(Account.name))
            .where(col(Account.kind) == "human")
            .where(col(Account.status) == "active")
            .where(col(Account.person_id).in_(sorted(set(person_ids))))
        ).scalars()
    )


def machine_accounts_without_owner(session: Session) -> int:
    """Active machine and service accounts whose answerable person is no longer in service."""
    owners_gone = select(col(Person.id)).where(col(Person.status).in_(GONE))
    return len(
        session.execute(
            select(col(Account.name))
            .where(col(Account.kind).in_(sorted(NON_HUMAN_KINDS)))
            .where(col(Account.status) == "active")
            .where(col(Account.person_id).in_(owners_gone))
        ).all()
    )


def disable(session: Session, account: Account, reason: str, now: datetime) -> Account:
    """Disable `account` (already disabled: left as it was, first reason kept)."""
    if account.status != "disabled":
        account.status, account.disabled_at, account.disabled_reason = "disabled", now, reason
        save_account(session, account)
    return account


def active_system_admins(session: Session) -> frozenset[str]:
    """Accounts able to administer accounts now: active, holding the system
    administrator role, their holder in service (the gateway refuses any other)."""
    return frozenset(
        session.execute(
            select(col(Account.name))
            .join(AccountRole, col(AccountRole.account) == col(Account.name))
            .join(Person, col(Person.id) == col(Account.person_id))
            .where(col(AccountRole.role) == SYSTEM_ADMIN_ROLE)
            .where(col(Account.kind) == "human")
            .where(col(Account.status) == "active")
            .where(col(Person.status) == "active")
        ).scalars()
    )


def lock_system_admins(session: Session) -> frozenset[str]:
    """Take the lock every change that could leave fewer system administrators
    takes first, then count them: two such changes take turns, and the second
    counts what the first left.

    PostgreSQL: the role's own row, FOR NO KEY UPDATE, held until commit (NO KEY
    so that granting the role, whose foreign key takes a key-share lock on that
    row, is not held up). SQLite has no row locks: there the transaction must
    have been opened with BEGIN IMMEDIATE, whose write lock serialises it."""
    session.execute(
        select(col(Role.name))
        .where(col(Role.name) == SYSTEM_ADMIN_ROLE)
        .with_for_update(key_share=True)
    )
    return active_system_admins(session)
