"""Roles and their permissions, as stored."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from services.directory.models import Role, RolePermission
from services.directory.roles import CATALOGUE, StoredRole


def load_roles(session: Session, names: Iterable[str] | None = None) -> dict[str, StoredRole]:
    stmt = select(Role)
    if names is not None:
        stmt = stmt.where(col(Role.name).in_(sorted(set(names))))
    roles = list(session.exec(stmt))
    perms: dict[str, set[str]] = {r.name: set() for r in roles}
    if roles:
        rows = session.exec(
            select(RolePermission).where(col(RolePermission.role).in_(sorted(perms)))
        )
        for row in rows:
            perms[row.role].add(row.permission)
    return {r.name: StoredRole(r.name, r.account_kind, frozenset(perms[r.name])) for r in roles}


def descriptions(session: Session) -> dict[str, str]:
    return {r.name: r.description for r in session.exec(select(Role))}


def sync_catalogue(session: Session) -> None:
    """Make the stored roles match the catalogue: add what is missing, drop
    permissions the catalogue no longer grants, bring descriptions up to date.
    Roles outside it are left alone."""
    stored = load_roles(session)
    for spec in CATALOGUE:
        current = stored.get(spec.name)
        if current is None:
            session.add(Role(name=spec.name, account_kind=spec.kind, description=spec.description))
            session.flush()
            granted: frozenset[str] = frozenset()
        else:
            granted = current.permissions
            role = session.get(Role, spec.name)
            if role is not None and role.description != spec.description:
                role.description = spec.description
                session.add(role)
        wanted = set(spec.permissions)
        for permission in sorted(wanted - granted):
            session.add(RolePermission(role=spec.name, permission=permission))
        for permission in sorted(granted - wanted):
            row = session.get(RolePermission, (spec.name, permission))
            if row is not None:
                session.delete(row)
    session.flush()
