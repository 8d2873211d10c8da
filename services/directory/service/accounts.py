"""Changes to accounts that could lock the system out of its own administration:
disabling an account and replacing its roles. Each counts the active system
administrators under a lock (`lock_system_admins`), so two concurrent changes
cannot both pass a check that only one of them may."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from services.common.errors import Conflict, FieldError
from services.directory.domain.account_rules import Breach, disable_errors, role_change_errors
from services.directory.models import Account
from services.directory.service.transactions import begin_immediate
from services.directory.store import accounts as store


def field_errors(breaches: list[Breach]) -> list[FieldError]:
    """The account rules' breaches as the problem's field errors."""
    return [FieldError(field=b.field, reason=b.reason, code=b.code) for b in breaches]


def _refuse(breaches: list[Breach]) -> None:
    if breaches:
        errors = field_errors(breaches)
        raise Conflict(
            "; ".join(e.reason for e in errors),
            slug="account-rule",
            title="Refused by an account rule",
            errors=errors,
        )


def _locked(session: Session, account: Account) -> frozenset[str]:
    # Immediate on SQLite (the request opened it so), the role's lock on PostgreSQL.
    begin_immediate(session)
    admins = store.lock_system_admins(session)
    # The account as it is now that changes to it take turns: it was read before.
    session.refresh(account)
    return admins


def check_disable(session: Session, actor: str, account: Account) -> None:
    """Refuse (409) disabling `account` by `actor` when an account rule forbids
    it; the lock is then held until the transaction ends."""
    _refuse(
        disable_errors(actor=actor, account=account.name, active_admins=_locked(session, account))
    )


def disable_account(
    session: Session, actor: str, account: Account, reason: str, now: datetime
) -> Account:
    check_disable(session, actor, account)
    return store.disable(session, account, reason, now)


def replace_roles(session: Session, account: Account, roles: list[str]) -> None:
    admins = _locked(session, account)
    _refuse(role_change_errors(account=account.name, roles=roles, active_admins=admins))
    store.replace_roles(session, account.name, roles)
