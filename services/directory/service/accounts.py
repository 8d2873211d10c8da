"""Account use cases: reading, creating and changing accounts (human and
machine), their roles and machine client secrets.

The changes that could lock the system out of its own administration
(disabling an account, replacing its roles) count the active system
administrators under a lock (`lock_system_admins`), so two concurrent changes
cannot both pass a check that only one of them may."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlmodel import Session

from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.reach import check_agency, outside
from services.common.timeutil import now_utc
from services.common.transactions import begin_immediate
from services.directory.access import ACCOUNTS_READ, ACCOUNTS_WRITE, reach
from services.directory.domain import client_secrets
from services.directory.domain.account_rules import (
    Breach,
    account_errors,
    disable_errors,
    role_change_errors,
    role_errors,
)
from services.directory.models import Account, ClientSecret
from services.directory.roles import NON_HUMAN_KINDS
from services.directory.schemas import AccountCreate, AccountUpdate, RoleOut
from services.directory.store import accounts as store
from services.directory.store import agencies as agency_store
from services.directory.store import persons as person_store
from services.directory.store.roles import descriptions, load_roles

# Fields an account always has: a change may set them, never clear them.
NOT_NULL = ("agency_code", "include_subordinates", "allowed_networks", "person_id")


class HeldAccount(NamedTuple):
    """An account with the roles it holds, as the caller is shown it."""

    account: Account
    roles: list[str]


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


def _reachable(session: Session, principal: Principal, permission: str, name: str) -> Account:
    account = store.get_account(session, name)
    allowed = reach(session, principal, permission)
    if account is None or not allowed.covers(agency_code=account.agency_code):
        raise outside(allowed.scopes, "no such account")
    return account


def _held(session: Session, account: Account) -> HeldAccount:
    return HeldAccount(account, store.roles_of(session, [account.name]).get(account.name, []))


def _check_agency(session: Session, principal: Principal, agency_code: str) -> None:
    check_agency(principal, ACCOUNTS_WRITE, agency_code)
    if agency_store.get_agency(session, agency_code) is None:
        raise Invalid(
            "unknown agency",
            errors=[
                FieldError(field="body.agency_code", reason="no such agency", code="unknown_agency")
            ],
        )


def _check_new_owner(session: Session, account: Account, person_id: str) -> None:
    """A machine account may pass to another answerable person (the way back into
    service when its owner leaves); a human account stays bound to its holder."""
    if person_id == account.person_id:
        return
    if account.kind == "human":
        raise Invalid(
            "a human account stays bound to its holder",
            errors=[
                FieldError(
                    field="body.person_id",
                    reason="cannot change on a human account",
                    code="human_holder",
                )
            ],
        )
    owner = person_store.get_person(session, person_id)
    if owner is None or owner.status != "active":
        raise Invalid(
            "the new owner must be a person in service",
            errors=[
                FieldError(
                    field="body.person_id",
                    reason="no such person in service",
                    code="unknown_person",
                )
            ],
        )


def list_accounts(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    kind: str | None = None,
    status: str | None = None,
    agency: str | None = None,
    role: str | None = None,
) -> tuple[list[HeldAccount], str | None]:
    """One page of the accounts within the caller's reach."""
    visible = reach(session, principal, ACCOUNTS_READ).clause(agency=Account.agency_code)
    rows, cursor = store.list_accounts(
        session, visible, params, kind=kind, status=status, agency=agency, role=role
    )
    roles = store.roles_of(session, [a.name for a in rows])
    return [HeldAccount(a, roles.get(a.name, [])) for a in rows], cursor


def read(session: Session, principal: Principal, name: str) -> HeldAccount:
    return _held(session, _reachable(session, principal, ACCOUNTS_READ, name))


def create(session: Session, principal: Principal, body: AccountCreate) -> HeldAccount:
    _check_agency(session, principal, body.agency_code)
    errors = field_errors(
        account_errors(
            kind=body.kind,
            purpose=body.purpose,
            allowed_networks=body.allowed_networks,
            roles=body.roles,
            known_roles=load_roles(session),
        )
    )
    if person_store.get_person(session, body.person_id) is None:
        errors.append(
            FieldError(field="body.person_id", reason="no such person", code="unknown_person")
        )
    if errors:
        raise Invalid("the account cannot be created as requested", errors=errors)
    account = Account(**body.model_dump(exclude={"roles"}))
    store.create_account(session, account, body.roles)
    return HeldAccount(account, body.roles)


def update(session: Session, principal: Principal, name: str, body: AccountUpdate) -> HeldAccount:
    """Change the fields sent; the account must still satisfy every account rule."""
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for field in NOT_NULL:
        if field in changes and changes[field] is None:
            raise Invalid(
                "this field cannot be cleared",
                errors=[FieldError(field=f"body.{field}", reason="cannot be null", code="null")],
            )
    if "agency_code" in changes:
        _check_agency(session, principal, changes["agency_code"])
    if "person_id" in changes:
        _check_new_owner(session, account, changes["person_id"])
    for key, value in changes.items():
        setattr(account, key, value)
    roles = store.roles_of(session, [name]).get(name, [])
    errors = field_errors(
        account_errors(
            kind=account.kind,
            purpose=account.purpose,
            allowed_networks=account.allowed_networks,
            roles=roles,
            known_roles=load_roles(session),
        )
    )
    if errors:
        raise Invalid("the account cannot be changed as requested", errors=errors)
    return HeldAccount(store.save_account(session, account), roles)


def replace_roles(session: Session, account: Account, roles: list[str]) -> None:
    """Make `roles` the account's roles, unless that leaves no system administrator."""
    admins = _locked(session, account)
    _refuse(role_change_errors(account=account.name, roles=roles, active_admins=admins))
    store.replace_roles(session, account.name, roles)


def set_roles(session: Session, principal: Principal, name: str, roles: list[str]) -> HeldAccount:
    """Replace the account's roles: each must exist, suit the account's kind and
    keep duties apart (422), and the last system administrator keeps the role (409)."""
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    errors = field_errors(
        role_errors(kind=account.kind, roles=roles, known_roles=load_roles(session))
    )
    if errors:
        raise Invalid("these roles cannot be granted to this account", errors=errors)
    replace_roles(session, account, roles)
    return HeldAccount(account, roles)


def check_disable(session: Session, actor: str, account: Account) -> None:
    """Refuse (409) disabling `account` by `actor` when an account rule forbids
    it; the lock is then held until the transaction ends."""
    _refuse(
        disable_errors(actor=actor, account=account.name, active_admins=_locked(session, account))
    )


def disable(session: Session, principal: Principal, name: str) -> HeldAccount:
    """Disable the account on the caller's word, unless an account rule forbids it."""
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    check_disable(session, principal.sub, account)
    store.disable(session, account, f"disabled by {principal.sub}"[:200], now_utc())
    return _held(session, account)


def enable(session: Session, principal: Principal, name: str) -> HeldAccount:
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    if account.status != "active":
        account.status, account.disabled_at, account.disabled_reason = "active", None, None
        store.save_account(session, account)
    return _held(session, account)


def list_secrets(session: Session, principal: Principal, name: str) -> list[ClientSecret]:
    _reachable(session, principal, ACCOUNTS_READ, name)
    return store.list_secrets(session, name)


def add_secret(
    session: Session, principal: Principal, name: str, expires_at: datetime | None
) -> tuple[ClientSecret, str]:
    """A new client secret for a machine or service account: its stored row and
    its value, which exists nowhere else once this call has returned."""
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    if account.kind not in NON_HUMAN_KINDS:
        raise Conflict("only machine and service accounts have client secrets")
    if expires_at is not None and (expires_at.utcoffset() is None or expires_at <= now_utc()):
        raise Invalid(
            "expires_at must be a future time with a time zone",
            errors=[
                FieldError(
                    field="body.expires_at",
                    reason="must be in the future, with a zone",
                    code="expires_at",
                )
            ],
        )
    secret = client_secrets.generate()
    row = store.add_secret(session, name, client_secrets.hash_secret(secret), expires_at)
    return row, secret


def revoke_secret(
    session: Session, principal: Principal, name: str, secret_id: int
) -> ClientSecret:
    """Revoke the secret (already revoked: left as it was, first time kept)."""
    _reachable(session, principal, ACCOUNTS_WRITE, name)
    row = store.get_secret(session, name, secret_id)
    if row is None:
        raise NotFound("no such client secret")
    if row.revoked_at is None:
        store.revoke_secret(session, row, now_utc())
    return row


def role_catalogue(session: Session) -> list[RoleOut]:
    """Every role with its account kind, description and permissions."""
    described = descriptions(session)
    return [
        RoleOut(
            name=role.name,
            account_kind=role.account_kind,
            description=described.get(role.name, ""),
            permissions=sorted(role.permissions),
        )
        for role in sorted(load_roles(session).values(), key=lambda r: (r.account_kind, r.name))
    ]
