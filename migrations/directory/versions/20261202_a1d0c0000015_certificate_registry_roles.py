"""role catalogue: the certificate registry's grants, catalogue officers and certificate importers

Revision ID: a1d0c0000015
Revises: a1d0c0000014
Create Date: 2026-12-02

The certs service now has a catalogue, submissions, decisions, imports and
warning lead times. Employees read the catalogue and submit their own
certificates; HR officers read the catalogue and set their agencies' warning
lead times (they already read and decide on the agencies' certificates); two
new roles: `certs_catalogue_officer` (human) keeps the catalogue,
`certs_importer` (machine) imports certificates within its agency scope.

The rows are written out here, not read from services/directory/roles.py, so
that this revision keeps meaning the same change however the catalogue moves
on. Revision a1d0c0000004 seeds whatever the catalogue holds when it runs, so
on a fresh database these rows are already there: every step checks before it
inserts, and downgrade removes exactly what this revision stands for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000015"
down_revision: str | None = "a1d0c0000014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, account kind, description
NEW_ROLES = (
    (
        "certs_catalogue_officer",
        "human",
        "證照目錄管理: the catalogue of recognised AI certificates",
    ),
    ("certs_importer", "machine", "Batch importer of certificates"),
)
GRANTED = (
    ("employee", "certs:catalogue:read"),
    ("employee", "certs:certificates:submit:self"),
    ("hr_officer", "certs:catalogue:read"),
    ("hr_officer", "certs:warnings:read:agency"),
    ("hr_officer", "certs:warnings:write:agency"),
    ("certs_catalogue_officer", "certs:catalogue:read"),
    ("certs_catalogue_officer", "certs:catalogue:write"),
    ("certs_importer", "certs:catalogue:read"),
    ("certs_importer", "certs:certificates:import"),
)

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
role_usage = sa.table("role_usage", sa.column("account", sa.String), sa.column("role", sa.String))


def upgrade() -> None:
    conn = op.get_bind()
    present = set(conn.execute(sa.select(roles.c.name)).scalars())
    for name, kind, description in NEW_ROLES:
        if name not in present:
            conn.execute(
                sa.insert(roles).values(name=name, account_kind=kind, description=description)
            )
    present = set(conn.execute(sa.select(roles.c.name)).scalars())
    held = {
        (role, permission)
        for role, permission in conn.execute(
            sa.select(role_permissions.c.role, role_permissions.c.permission)
        )
    }
    for role, permission in GRANTED:
        # A deployment that removed a catalogue role keeps it removed.
        if role in present and (role, permission) not in held:
            conn.execute(sa.insert(role_permissions).values(role=role, permission=permission))


def downgrade() -> None:
    conn = op.get_bind()
    for role, permission in GRANTED:
        conn.execute(
            sa.delete(role_permissions).where(
                role_permissions.c.role == role, role_permissions.c.permission == permission
            )
        )
    # The roles go too; accounts holding them lose the grant, as they would
    # on a database that never knew these roles.
    for name, _kind, _description in NEW_ROLES:
        conn.execute(sa.delete(role_usage).where(role_usage.c.role == name))
        conn.execute(sa.delete(account_roles).where(account_roles.c.role == name))
        conn.execute(sa.delete(roles).where(roles.c.name == name))
