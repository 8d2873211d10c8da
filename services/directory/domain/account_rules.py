"""What makes an account acceptable (WebITR rules: separate human and machine
accounts, least privilege, restricted source networks). Pure: no HTTP, no DB.

Each rule returns the breaches it finds as `Breach` values; the use cases
(`services.directory.service.accounts`) turn them into the problem+json field
errors the caller sees, so that the rules stay plain functions of plain data."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from services.directory.roles import NON_HUMAN_KINDS, StoredRole, duty_conflicts

# The role that administers accounts everywhere: only its holders can enable an
# account again, theirs included.
SYSTEM_ADMIN_ROLE = "system_admin"


@dataclass(frozen=True)
class Breach:
    """One broken rule: the field it concerns (`body.roles`, `path.name`), a
    stable code and a reason meant for people; the shape of a field error."""

    field: str
    code: str
    reason: str


def account_errors(
    *,
    kind: str,
    purpose: str | None,
    allowed_networks: list[str],
    roles: list[str],
    known_roles: Mapping[str, StoredRole],
) -> list[Breach]:
    errors: list[Breach] = []
    if kind in NON_HUMAN_KINDS:
        if not purpose:
            errors.append(
                Breach(
                    field="body.purpose",
                    code="required",
                    reason="a machine account must state its purpose",
                )
            )
        if not allowed_networks:
            errors.append(
                Breach(
                    field="body.allowed_networks",
                    code="required",
                    reason="a machine account must name its source networks",
                )
            )
    errors.extend(role_errors(kind=kind, roles=roles, known_roles=known_roles))
    return errors


def role_errors(
    *, kind: str, roles: list[str], known_roles: Mapping[str, StoredRole]
) -> list[Breach]:
    errors: list[Breach] = []
    permissions: set[str] = set()
    # The roles this kind of account may hold, named in the refusal so that the
    # caller can correct the request without a second look-up.
    valid = ", ".join(sorted(r.name for r in known_roles.values() if r.account_kind == kind))
    for name in sorted(set(roles)):
        role = known_roles.get(name)
        if role is None:
            errors.append(
                Breach(
                    field="body.roles",
                    code="unknown_role",
                    reason=f"unknown role {name[:64]}; roles for {kind} accounts: {valid}",
                )
            )
        elif role.account_kind != kind:
            errors.append(
                Breach(
                    field="body.roles",
                    code="wrong_kind",
                    reason=f"role {name} is for {role.account_kind} accounts",
                )
            )
        else:
            permissions |= role.permissions
    for reason in duty_conflicts(permissions):
        errors.append(Breach(field="body.roles", code="separation_of_duties", reason=reason))
    return errors


def disable_errors(*, actor: str, account: str, active_admins: Set[str]) -> list[Breach]:
    """Why `actor` may not disable `account` (empty when it may).

    Nobody disables their own account: they could not undo it, and an
    administrator doing so by mistake may leave nobody to. And the last active
    system administrator stays: with it gone, no account could ever be enabled
    again. `active_admins` are the accounts able to administer accounts now
    (active, holding the role, their holder in service)."""
    errors: list[Breach] = []
    if actor == account:
        errors.append(
            Breach(
                field="path.name",
                code="own_account",
                reason="an account cannot be disabled by its own holder (own account)",
            )
        )
    if _last_admin(account, active_admins):
        errors.append(
            Breach(
                field="path.name",
                code="last_system_admin",
                reason="the last active system administrator cannot be disabled",
            )
        )
    return errors


def role_change_errors(*, account: str, roles: list[str], active_admins: Set[str]) -> list[Breach]:
    """Why `account` may not be left with just `roles`: the last active system
    administrator keeps the role."""
    if SYSTEM_ADMIN_ROLE in roles or not _last_admin(account, active_admins):
        return []
    return [
        Breach(
            field="body.roles",
            code="last_system_admin",
            reason=f"the last active system administrator keeps the role {SYSTEM_ADMIN_ROLE}",
        )
    ]


def _last_admin(account: str, active_admins: Set[str]) -> bool:
    return set(active_admins) == {account}
