"""role catalogue: learning-record importers may match persons by national ID

Revision ID: a1d0c0000008
Revises: a1d0c0000007
Create Date: 2026-11-23

Training's import resolves rows that name a person by national ID through the
directory's service-only `POST /persons/match`, on the importer's behalf; the
importer roles get `directory:persons:match:agency` for it. Besides the
catalogue's importer_elearn, every role that already holds a
`training:imports:<source>` grant (importer roles a deployment added as data)
gets it too. Revision a1d0c0000004 seeds whatever the catalogue holds when it
runs, so on a fresh database the grant may be there already: upgrade checks
first. The permission did not exist before this revision: downgrade withdraws
every grant of it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000008"
down_revision: str | None = "a1d0c0000007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMISSION = "directory:persons:match:agency"
CATALOGUE_ROLES = ("importer_elearn",)

roles = sa.table("roles", sa.column("name", sa.String))
role_permissions = sa.table(
    "role_permissions", sa.column("role", sa.String), sa.column("permission", sa.String)
)


def upgrade() -> None:
    conn = op.get_bind()
    present = set(conn.execute(sa.select(roles.c.name)).scalars())
    importers = set(
        conn.execute(
            sa.select(role_permissions.c.role).where(
                role_permissions.c.permission.like("training:imports:%")
            )
        ).scalars()
    )
    granted = set(
        conn.execute(
            sa.select(role_permissions.c.role).where(role_permissions.c.permission == PERMISSION)
        ).scalars()
    )
    wanted = (set(CATALOGUE_ROLES) & present) | importers
    for role in sorted(wanted - granted):
        conn.execute(sa.insert(role_permissions).values(role=role, permission=PERMISSION))


def downgrade() -> None:
    op.get_bind().execute(
        sa.delete(role_permissions).where(
            role_permissions.c.permission.in_([PERMISSION, "directory:persons:match"])
        )
    )
