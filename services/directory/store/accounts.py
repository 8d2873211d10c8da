"""Accounts, their roles and their client secrets."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from services.common.errors import Conflict
from services.common.pagination import PageParams, keyset_page
from services.directory.models import Account, AccountRole, ClientSecret


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
    return keyset_page(session, stmt, col(Account.name), params)


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
    session.execute(delete(AccountRole).where(col(AccountRole.account) == account))
    for role in sorted(set(roles)):
        session.add(AccountRole(account=account, role=role))
    session.flush()


def save_account(session: Session, account: Account) -> Account:
    session.add(account)
    session.flush()
    return account


def list_secrets(session: Session, account: str) -> list[ClientSecret]:
    return list(
        session.execute(
            select(ClientSecret).where(col(ClientSecret.account) == account)
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


def current_secrets(session: Session, account: str, now: datetime) -> list[ClientSecret]:
    """Secrets neither revoked nor expired at `now` (more than one while rotating)."""
    return [
        s for s in list_secrets(session, account)
        if s.revoked_at is None and (s.expires_at is None or s.expires_at > now)
    ]
