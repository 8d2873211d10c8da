"""Accounts (human and machine), their roles and machine client secrets."""

from typing import Any

from fastapi import APIRouter

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_RESPONSES
from services.common.ids import Id
from services.common.pagination import Page, PageDep, whole_page
from services.directory.api.deps import WRITES_OPEN_IMMEDIATE, AccountsReader, AccountsWriter
from services.directory.models import ClientSecret
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
    RoleOut,
)
from services.directory.service import accounts

router = APIRouter(tags=["accounts"], dependencies=[WRITES_OPEN_IMMEDIATE])


@router.get(
    "/roles",
    summary="Every role an account may be given, with its permissions",
    response_model=Page[RoleOut],
)
def list_roles(session: SessionDep, who: AccountsReader) -> Page[RoleOut]:
    return whole_page(accounts.role_catalogue(session))


# Refused by an account rule: one's own account, the last system administrator.
ACCOUNT_RULE: dict[int | str, dict[str, Any]] = {
    409: {
        **PROBLEM_RESPONSES[500],
        "description": "Refused by an account rule; `errors` names the rule "
        "(own_account, last_system_admin)",
    }
}


def _out(held: accounts.HeldAccount) -> AccountOut:
    return AccountOut.model_validate({**held.account.model_dump(), "roles": sorted(held.roles)})


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
    rows, cursor = accounts.list_accounts(
        session, principal, page, kind=kind, status=status, agency=agency, role=role
    )
    return Page[AccountOut](items=[_out(a) for a in rows], next_cursor=cursor, limit=page.limit)


@router.get("/accounts/{name}", summary="One account", response_model=AccountOut)
def get_account(session: SessionDep, principal: AccountsReader, name: str) -> AccountOut:
    return _out(accounts.read(session, principal, name))


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
    return _out(accounts.create(session, principal, body))


@router.patch("/accounts/{name}", summary="Change an account", response_model=AccountOut)
def update_account(
    session: SessionDep, principal: AccountsWriter, name: str, body: AccountUpdate
) -> AccountOut:
    return _out(accounts.update(session, principal, name, body))


@router.put(
    "/accounts/{name}/roles",
    summary="Replace an account's roles",
    response_model=AccountOut,
    responses=ACCOUNT_RULE,
)
def set_account_roles(
    session: SessionDep, principal: AccountsWriter, name: str, body: AccountRoles
) -> AccountOut:
    return _out(accounts.set_roles(session, principal, name, body.roles))


@router.post(
    "/accounts/{name}/disable",
    summary="Disable an account",
    response_model=AccountOut,
    responses=ACCOUNT_RULE,
)
def disable_account(session: SessionDep, principal: AccountsWriter, name: str) -> AccountOut:
    return _out(accounts.disable(session, principal, name))


@router.post("/accounts/{name}/enable", summary="Enable an account", response_model=AccountOut)
def enable_account(session: SessionDep, principal: AccountsWriter, name: str) -> AccountOut:
    return _out(accounts.enable(session, principal, name))


@router.get(
    "/accounts/{name}/secrets",
    summary="Client secrets of a machine account (no values)",
    response_model=Page[ClientSecretOut],
)
def list_client_secrets(
    session: SessionDep, principal: AccountsReader, name: str
) -> Page[ClientSecretOut]:
    return whole_page([_secret_out(s) for s in accounts.list_secrets(session, principal, name)])


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
    row, secret = accounts.add_secret(session, principal, name, body.expires_at)
    return NewClientSecret(**_secret_out(row).model_dump(), secret=secret)


@router.delete(
    "/accounts/{name}/secrets/{secret_id}",
    summary="Revoke a client secret",
    response_model=ClientSecretOut,
)
def revoke_client_secret(
    session: SessionDep, principal: AccountsWriter, name: str, secret_id: Id
) -> ClientSecretOut:
    return _secret_out(accounts.revoke_secret(session, principal, name, secret_id))
