"""role usage: when each role was granted, and last used, for the account review

Revision ID: a1d0c0000009
Revises: a1d0c0000008
Create Date: 2026-11-30

The account review lists roles unused for N days. `account_roles.granted_on`
says since when an account holds a role; grants made before this revision
are dated the day it runs (Asia/Taipei), since when they were made is not
known: they count as unused only once N days have passed without use.
`role_usage` keeps the last day each account used each of its roles, as the
gateway reports it (`POST /principals/usage`); it goes with the grant (ON
DELETE CASCADE), so a role taken away and granted again starts afresh.
"""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000009"
down_revision: str | None = "a1d0c0000008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

account_roles = sa.table("account_roles", sa.column("granted_on", sa.Date))


def _account_roles_with_granted_on() -> sa.Table:
    """account_roles as a1d0c0000005 made it, plus the new column (still
    nullable): what SQLite's batch copy starts from, instead of reflecting it."""
    return sa.Table(
        "account_roles",
        sa.MetaData(),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account"], ["accounts.name"], name="fk_account_roles_account_accounts"
        ),
        sa.ForeignKeyConstraint(["role"], ["roles.name"], name="fk_account_roles_role_roles"),
        sa.PrimaryKeyConstraint("account", "role", name="pk_account_roles"),
        sa.Index("ix_account_roles_role", "role"),
    )


def upgrade() -> None:
    today = datetime.now(ZoneInfo("Asia/Taipei")).date()
    op.add_column("account_roles", sa.Column("granted_on", sa.Date(), nullable=True))
    op.get_bind().execute(sa.update(account_roles).values(granted_on=today))
    # SQLite cannot make a column NOT NULL in place: batch mode copies the table
    # (PostgreSQL just alters it).
    with op.batch_alter_table("account_roles", copy_from=_account_roles_with_granted_on()) as batch:
        batch.alter_column("granted_on", existing_type=sa.Date(), nullable=False)
    op.create_table(
        "role_usage",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("last_used_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account", "role"],
            ["account_roles.account", "account_roles.role"],
            name=op.f("fk_role_usage_account_account_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account", "role", name=op.f("pk_role_usage")),
    )


def downgrade() -> None:
    op.drop_table("role_usage")
    # SQLite (3.35 on) drops a column no index or constraint uses without a copy.
    op.drop_column("account_roles", "granted_on")
