"""role catalogue: attendance grants, per-source training importers, account reviews

Revision ID: a1d0c0000006
Revises: a1d0c0000005
Create Date: 2026-11-23

The rows are written out here, not read from services/directory/roles.py, so
that this revision keeps meaning the same change however the catalogue moves
on. Revision a1d0c0000004 seeds whatever the catalogue holds when it runs, so
on a fresh database some of these rows are already there: every step below
checks before it inserts, and downgrade removes exactly what this revision
stands for, leaving the catalogue as it was before it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000006"
down_revision: str | None = "a1d0c0000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, account kind, description
NEW_ROLES = (
    ("account_reviewer", "human", "帳號審查人員: reviews the accounts of the agencies in scope"),
    ("importer_elearn", "machine", "Batch importer of learning records from source elearn"),
)
# role, description before, description after
DESCRIPTIONS = (
    (
        "importer",
        "Batch importer of personnel and training records",
        "Batch importer of personnel and attendance records",
    ),
)
GRANTED = (
    ("hr_officer", "attendance:records:write:agency"),
    ("hr_officer", "attendance:overtime:request:agency"),
    ("hr_officer", "attendance:comp:transfer:agency"),
    ("hr_officer", "attendance:policy:read:agency"),
    ("hr_officer", "attendance:policy:write:agency"),
    ("hr_officer", "attendance:reports:read:agency"),
    ("hr_officer", "attendance:settlement:read:agency"),
    ("training_officer", "speakers:lecturers:write"),
    ("security_auditor", "directory:reviews:read"),
    ("account_reviewer", "directory:reviews:read:agency"),
    ("account_reviewer", "directory:reviews:write:agency"),
    ("importer", "attendance:roster:import"),
    ("importer", "attendance:records:import"),
    ("importer_elearn", "training:imports:elearn"),
    ("importer_elearn", "directory:persons:read:agency"),
)
# Training no longer checks this: its imports are granted per source.
WITHDRAWN = (("importer", "training:records:import"),)

roles = sa.table(
    "roles",
    sa.column("name", sa.String),
    sa.column("account_kind", sa.String),
    sa.column("description", sa.String),
)
role_permissions = sa.table(
    "role_permissions", sa.column("role", sa.String), sa.column("permission", sa.String)
)
account_roles = sa.table(
    "account_roles", sa.column("account", sa.String), sa.column("role", sa.String)
)


def _role_exists(conn: sa.Connection, name: str) -> bool:
    found = conn.execute(sa.select(roles.c.name).where(roles.c.name == name)).first()
    return found is not None


def _grant(conn: sa.Connection, role: str, permission: str) -> None:
    found = conn.execute(
        sa.select(role_permissions.c.role).where(
            role_permissions.c.role == role, role_permissions.c.permission == permission
        )
    ).first()
    if found is None:
        conn.execute(sa.insert(role_permissions).values(role=role, permission=permission))


def _withdraw(conn: sa.Connection, role: str, permission: str) -> None:
    conn.execute(
        sa.delete(role_permissions).where(
            role_permissions.c.role == role, role_permissions.c.permission == permission
        )
    )


def _describe(conn: sa.Connection, role: str, description: str) -> None:
    conn.execute(sa.update(roles).where(roles.c.name == role).values(description=description))


def upgrade() -> None:
    conn = op.get_bind()
    for name, kind, description in NEW_ROLES:
        if not _role_exists(conn, name):
            conn.execute(
                sa.insert(roles).values(name=name, account_kind=kind, description=description)
            )
    for role, _before, after in DESCRIPTIONS:
        _describe(conn, role, after)
    for role, permission in GRANTED:
        _grant(conn, role, permission)
    for role, permission in WITHDRAWN:
        _withdraw(conn, role, permission)


def downgrade() -> None:
    conn = op.get_bind()
    for role, permission in GRANTED:
        _withdraw(conn, role, permission)
    for role, permission in WITHDRAWN:
        _grant(conn, role, permission)
    for role, before, _after in DESCRIPTIONS:
        _describe(conn, role, before)
    # The roles themselves go too; accounts holding them lose the grant, as
    # they would have to on a database that never knew these roles.
    for name, _kind, _description in NEW_ROLES:
        conn.execute(sa.delete(account_roles).where(account_roles.c.role == name))
        conn.execute(sa.delete(roles).where(roles.c.name == name))
