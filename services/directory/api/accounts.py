"""Accounts (human and machine), their roles and machine client secrets."""

from typing import Any

from fastapi import APIRouter
from sqlmodel import Session

from services.common.db import SessionDep
from services.common.errors import (
    CONFLICT_RESPONSES,
    PROBLEM_RESPONSES,
    Conflict,
    FieldError,
    Invalid,
    NotFound,
)
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.common.principal import Principal
from services.common.reach import check_agency, outside
from services.common.timeutil import now_utc
from services.directory.access import reach
from services.directory.api.deps import (
    ACCOUNTS_READ,
    ACCOUNTS_WRITE,
    WRITES_OPEN_IMMEDIATE,
    AccountsReader,
    AccountsWriter,
)
from services.directory.domain import client_secrets
from services.directory.domain.account_rules import account_errors, role_errors
from services.directory.models import Account, ClientSecret
from services.directory.roles import NON_HUMAN_KINDS
from services.directory.schemas import (
    AccountCreate,
    AccountKind,
    AccountOut,
    AccountRoles,
    AccountStatus,
    AccountUpdate,
    AgencyCode,
    ClientSecretCreate,
    ClientSecretOut,
    NewClientSecret,
    RoleName,
)
from services.directory.service import accounts as account_use_cases
from services.directory.store import accounts as store
from services.directory.store import agencies as agency_store
from services.directory.store import persons as person_store
from services.directory.store.roles import load_roles

router = APIRouter(tags=["accounts"], dependencies=[WRITES_OPEN_IMMEDIATE])
# Refused by an account rule: one's own account, the last system administrator.
ACCOUNT_RULE: dict[int | str, dict[str, Any]] = {
    409: {
        **PROBLEM_RESPONSES[500],
        "description": "Refused by an account rule; `errors` names the rule "
        "(own_account, last_system_admin)",
    }
}


def _reachable(session: Session, principal: Principal, permission: str, name: str) -> Account:
    account = store.get_account(session, name)
    allowed = reach(session, principal, permission)
    if account is None or not allowed.covers(agency_code=account.agency_code):
        raise outside(allowed.scopes, "no such account")
    return account


def _out(session: Session, account: Account, roles: list[str] | None = None) -> AccountOut:
    if roles is None:
        roles = store.roles_of(session, [account.name]).get(account.name, [])
    return AccountOut.model_validate({**account.model_dump(), "roles": sorted(roles)})


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


def _secret_out(row: ClientSecret) -> ClientSecretOut:
    return ClientSecretOut.model_validate(row, from_attributes=True)


@router.get("/accounts", summary="List accounts", response_model=Page[AccountOut])
def list_accounts(
    session: SessionDep,
    principal: AccountsReader,
    page: PageDep,
    kind: AccountKind | None = None,
    status: AccountStatus | None = None,
    agency: AgencyCode | None = None,
    role: RoleName | None = None,
) -> Page[AccountOut]:
    visible = reach(session, principal, ACCOUNTS_READ).clause(agency=Account.agency_code)
    rows, cursor = store.list_accounts(
        session, visible, page, kind=kind, status=status, agency=agency, role=role
    )
    roles = store.roles_of(session, [a.name for a in rows])
    return Page[AccountOut](
        items=[_out(session, a, roles.get(a.name, [])) for a in rows],
        next_cursor=cursor,
        limit=page.limit,
    )


@router.get("/accounts/{name}", summary="One account", response_model=AccountOut)
def get_account(session: SessionDep, principal: AccountsReader, name: str) -> AccountOut:
    return _out(session, _reachable(session, principal, ACCOUNTS_READ, name))


@router.post(
    "/accounts",
    summary="Create an account",
    response_model=AccountOut,
    status_code=201,
    responses=CONFLICT_RESPONSES,
)
def create_account(
    session: SessionDep, principal: AccountsWriter, body: AccountCreate
) -> AccountOut:
    _check_agency(session, principal, body.agency_code)
    errors = account_use_cases.field_errors(
        account_errors(
            kind=body.kind,
            purpose=body.purpose,
            allowed_networks=body.allowed_networks,
            roles=body.roles,
            known_roles=load_roles(session, body.roles),
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
    return _out(session, account, body.roles)


@router.patch("/accounts/{name}", summary="Change an account", response_model=AccountOut)
def update_account(
    session: SessionDep, principal: AccountsWriter, name: str, body: AccountUpdate
) -> AccountOut:
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for field in ("agency_code", "include_subordinates", "allowed_networks", "person_id"):
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
    errors = account_use_cases.field_errors(
        account_errors(
            kind=account.kind,
            purpose=account.purpose,
            allowed_networks=account.allowed_networks,
            roles=roles,
            known_roles=load_roles(session, roles),
        )
    )
    if errors:
        raise Invalid("the account cannot be changed as requested", errors=errors)
    return _out(session, store.save_account(session, account), roles)


@router.put(
    "/accounts/{name}/roles",
    summary="Replace an account's roles",
    response_model=AccountOut,
    responses=ACCOUNT_RULE,
)
def set_account_roles(
    session: SessionDep, principal: AccountsWriter, name: str, body: AccountRoles
) -> AccountOut:
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    errors = account_use_cases.field_errors(
        role_errors(
            kind=account.kind, roles=body.roles, known_roles=load_roles(session, body.roles)
        )
    )
    if errors:
        raise Invalid("these roles cannot be granted to this account", errors=errors)
    account_use_cases.replace_roles(session, account, body.roles)
    return _out(session, account, body.roles)


@router.post(
    "/accounts/{name}/disable",
    summary="Disable an account",
    response_model=AccountOut,
    responses=ACCOUNT_RULE,
)
def disable_account(session: SessionDep, principal: AccountsWriter, name: str) -> AccountOut:
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    account_use_cases.disable_account(
        session, principal.sub, account, f"disabled by {principal.sub}"[:200], now_utc()
    )
    return _out(session, account)


@router.post("/accounts/{name}/enable", summary="Enable an account", response_model=AccountOut)
def enable_account(session: SessionDep, principal: AccountsWriter, name: str) -> AccountOut:
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    if account.status != "active":
        account.status, account.disabled_at, account.disabled_reason = "active", None, None
        store.save_account(session, account)
    return _out(session, account)


@router.get(
    "/accounts/{name}/secrets",
    summary="Client secrets of a machine account (no values)",
    response_model=list[ClientSecretOut],
)
def list_client_secrets(
    session: SessionDep, principal: AccountsReader, name: str
) -> list[ClientSecretOut]:
    _reachable(session, principal, ACCOUNTS_READ, name)
    return [_secret_out(s) for s in store.list_secrets(session, name)]


@router.post(
    "/accounts/{name}/secrets",
    summary="Add a client secret; the value is returned this once",
    response_model=NewClientSecret,
    status_code=201,
    responses=CONFLICT_RESPONSES,
)
def add_client_secret(
    session: SessionDep, principal: AccountsWriter, name: str, body: ClientSecretCreate
) -> NewClientSecret:
    account = _reachable(session, principal, ACCOUNTS_WRITE, name)
    if account.kind not in NON_HUMAN_KINDS:
        raise Conflict("only machine and service accounts have client secrets")
    if body.expires_at is not None and (
        body.expires_at.utcoffset() is None or body.expires_at <= now_utc()
    ):
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
    row = store.add_secret(session, name, client_secrets.hash_secret(secret), body.expires_at)
    return NewClientSecret(**_secret_out(row).model_dump(), secret=secret)


@router.delete(
    "/accounts/{name}/secrets/{secret_id}",
    summary="Revoke a client secret",
    response_model=ClientSecretOut,
)
def revoke_client_secret(
    session: SessionDep, principal: AccountsWriter, name: str, secret_id: Id
) -> ClientSecretOut:
    _reachable(session, principal, ACCOUNTS_WRITE, name)
    row = store.get_secret(session, name, secret_id)
    if row is None:
        raise NotFound("no such client secret")
    if row.revoked_at is None:
        row.revoked_at = now_utc()
        session.add(row)
        session.flush()
    return _secret_out(row)
