"""roles and their permissions, seeded from the role catalogue

Revision ID: a1d0c0000004
Revises: a1d0c0000003
Create Date: 2026-11-23

Later changes to services/directory/roles.py need a revision of their own
that applies the difference; this one seeds the catalogue as it stands, as far
as its table allows: roles for a kind of account added later (service, in
a1d0c0000010) are left to the revision that adds the kind.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.directory.roles import permission_rows, role_rows

KINDS = ("human", "machine")

revision: str = "a1d0c0000004"
down_revision: str | None = "a1d0c0000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    roles = op.create_table(
        "roles",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("account_kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "account_kind IN ('human', 'machine')", name=op.f("ck_roles_account_kind")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_roles")),
    )
    role_permissions = op.create_table(
        "role_permissions",
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("permission", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["role"], ["roles.name"], name=op.f("fk_role_permissions_role_roles")
        ),
        sa.PrimaryKeyConstraint("role", "permission", name=op.f("pk_role_permissions")),
    )
    assert roles is not None and role_permissions is not None
    seeded = [r for r in role_rows() if r["account_kind"] in KINDS]
    names = {r["name"] for r in seeded}
    op.bulk_insert(roles, seeded)
    op.bulk_insert(role_permissions, [r for r in permission_rows() if r["role"] in names])


def downgrade() -> None:
    op.drop_table("role_permissions")
    op.drop_table("roles")
