"""role catalogue: lecturer_importer, for the academy's lecturer and engagement imports

Revision ID: a1d0c0000016
Revises: a1d0c0000015
Create Date: 2026-12-02

The speakers service imports lecturers and engagement records in bulk
(`POST /imports/lecturers`, `POST /imports/engagements`, permission
`speakers:import`); the machine role `lecturer_importer` grants it to the
academy's importer account, and nothing else. Revision a1d0c0000004 seeds
whatever the catalogue holds when it runs, so on a fresh database the role may
be there already: upgrade checks first. Downgrade takes the role from every
account holding it and removes it, with any other grant of the permission
(which did not exist before this revision).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000016"
down_revision: str | None = "a1d0c0000015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "lecturer_importer"
DESCRIPTION = "Batch importer of lecturers and engagement records into the lecturer directory"
PERMISSION = "speakers:import"

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
    if conn.execute(sa.select(roles.c.name).where(roles.c.name == ROLE)).first() is None:
        conn.execute(
            sa.insert(roles).values(name=ROLE, account_kind="machine", description=DESCRIPTION)
        )
    granted = conn.execute(
        sa.select(role_permissions.c.role).where(
            role_permissions.c.role == ROLE, role_permissions.c.permission == PERMISSION
        )
    ).first()
    if granted is None:
        conn.execute(sa.insert(role_permissions).values(role=ROLE, permission=PERMISSION))


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.delete(role_usage).where(role_usage.c.role == ROLE))
    conn.execute(sa.delete(account_roles).where(account_roles.c.role == ROLE))
    conn.execute(sa.delete(role_permissions).where(role_permissions.c.permission == PERMISSION))
    conn.execute(sa.delete(role_permissions).where(role_permissions.c.role == ROLE))
    conn.execute(sa.delete(roles).where(roles.c.name == ROLE))
