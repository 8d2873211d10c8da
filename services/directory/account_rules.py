"""What makes an account acceptable (WebITR rules: separate human and machine
accounts, least privilege, restricted source networks). Pure: no HTTP, no DB."""

from __future__ import annotations

from collections.abc import Mapping

from services.common.errors import FieldError
from services.directory.roles import NON_HUMAN_KINDS, StoredRole, duty_conflicts


def account_errors(
    *,
    kind: str,
    purpose: str | None,
    allowed_networks: list[str],
    roles: list[str],
    known_roles: Mapping[str, StoredRole],
) -> list[FieldError]:
    errors: list[FieldError] = []
    if kind in NON_HUMAN_KINDS:
        if not purpose:
            errors.append(FieldError(field="body.purpose", code="required",
                                     reason="a machine account must state its purpose"))
        if not allowed_networks:
            errors.append(FieldError(field="body.allowed_networks", code="required",
                                     reason="a machine account must name its source networks"))
    errors.extend(role_errors(kind=kind, roles=roles, known_roles=known_roles))
    return errors


def role_errors(
    *, kind: str, roles: list[str], known_roles: Mapping[str, StoredRole]
) -> list[FieldError]:
    errors: list[FieldError] = []
    permissions: set[str] = set()
    for name in sorted(set(roles)):
        role = known_roles.get(name)
        if role is None:
            errors.append(FieldError(field="body.roles", code="unknown_role",
                                     reason=f"unknown role {name}"))
        elif role.account_kind != kind:
            errors.append(FieldError(field="body.roles", code="wrong_kind",
                                     reason=f"role {name} is for {role.account_kind} accounts"))
        else:
            permissions |= role.permissions
    for reason in duty_conflicts(permissions):
        errors.append(FieldError(field="body.roles", code="separation_of_duties", reason=reason))
    return errors
