"""role catalogue: AI talent profiles, staffing search, exports and promotion points

Revision ID: a1d0c0130018
Revises: a1d0c0120015
Create Date: 2026-12-03

The certs service gains AI-talent profiles (roles by duties, stage, readiness,
promotion points), staffing search with team proposals, and WebHR table-51 and
summary exports. Employees read their own profile (`certs:talent:read:self`);
HR officers read and assign within their agencies (`certs:talent:read:agency`,
`certs:talent:write:agency`), search and export their agencies' AI staff
(`certs:staffing:read:agency`) and set their agencies' points tables
(`certs:points:write:agency`). No new role.

The rows are written out here, not read from services/directory/roles.py, so
that this revision keeps meaning the same change however the catalogue moves
on. Every step checks before it inserts, and downgrade removes exactly what
this revision stands for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0130018"
down_revision: str | None = "a1d0c0120015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTED = (
    ("employee", "certs:talent:read:self"),
    ("hr_officer", "certs:talent:read:agency"),
    ("hr_officer", "certs:talent:write:agency"),
    ("hr_officer", "certs:staffing:read:agency"),
    ("hr_officer", "certs:points:write:agency"),
)

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
