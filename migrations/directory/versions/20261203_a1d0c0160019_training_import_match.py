"""training's own account matches persons for its queued imports

Revision ID: a1d0c0160019
Revises: a1d0c0130018
Create Date: 2026-12-03

Role `service_training` (kind service, held by `svc.training`) gains
`directory:persons:import_match`: a queued learning-record import runs in any
training worker as training's own account and asks the directory
(`POST /api/directory/persons/import-matches`) which persons hold its rows'
national IDs and where persons it has not seen work, within the importer's
agencies only. Service roles go to service accounts alone, so no importer or
person can be granted it. No new role.

The rows are written out here, not read from services/directory/roles.py, so
that this revision keeps meaning the same change however the catalogue moves
on. Downgrade removes exactly this grant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0160019"
down_revision: str | None = "a1d0c0130018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTED = (("service_training", "directory:persons:import_match"),)

roles = sa.table("roles", sa.column("name", sa.String))
role_permissions = sa.table(
    "role_permissions", sa.column("role", sa.String), sa.column("permission", sa.String)
)


def upgrade() -> None:
    conn = op.get_bind()
    present = set(conn.execute(sa.select(roles.c.name)).scalars())
    held = {
        (role, permission)
        for role, permission in conn.execute(
            sa.select(role_permissions.c.role, role_permissions.c.permission)
        )
    }
    for role, permission in GRANTED:
        # A deployment that removed the role keeps it removed.
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
