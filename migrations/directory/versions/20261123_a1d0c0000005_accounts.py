"""accounts, their roles and machine client secrets

Revision ID: a1d0c0000005
Revises: a1d0c0000004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000005"
down_revision: str | None = "a1d0c0000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("include_subordinates", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("allowed_networks", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('human', 'machine')", name=op.f("ck_accounts_kind")),
        sa.CheckConstraint("status IN ('active', 'disabled')", name=op.f("ck_accounts_status")),
        sa.CheckConstraint(
            "kind = 'human' OR purpose IS NOT NULL", name=op.f("ck_accounts_machine_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_accounts_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_accounts_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_accounts")),
    )
    op.create_index(op.f("ix_accounts_person_id"), "accounts", ["person_id"])
    op.create_index(op.f("ix_accounts_agency_code"), "accounts", ["agency_code"])
    op.create_table(
        "account_roles",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"], ["accounts.name"], name=op.f("fk_account_roles_account_accounts")
        ),
        sa.ForeignKeyConstraint(["role"], ["roles.name"], name=op.f("fk_account_roles_role_roles")),
        sa.PrimaryKeyConstraint("account", "role", name=op.f("pk_account_roles")),
    )
    op.create_index(op.f("ix_account_roles_role"), "account_roles", ["role"])
    op.create_table(
        "client_secrets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account"], ["accounts.name"], name=op.f("fk_client_secrets_account_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_secrets")),
    )
    op.create_index(op.f("ix_client_secrets_account"), "client_secrets", ["account"])


def downgrade() -> None:
    op.drop_index(op.f("ix_client_secrets_account"), table_name="client_secrets")
    op.drop_table("client_secrets")
    op.drop_index(op.f("ix_account_roles_role"), table_name="account_roles")
    op.drop_table("account_roles")
    op.drop_index(op.f("ix_accounts_agency_code"), table_name="accounts")
    op.drop_index(op.f("ix_accounts_person_id"), table_name="accounts")
    op.drop_table("accounts")
