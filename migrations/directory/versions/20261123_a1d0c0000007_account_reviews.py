"""account reviews: campaigns and their items; why an account was disabled

Revision ID: a1d0c0000007
Revises: a1d0c0000006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000007"
down_revision: str | None = "a1d0c0000006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, which SQLite supports for a nullable column without
    # constraints: no batch copy of the table is needed.
    op.add_column("accounts", sa.Column("disabled_reason", sa.String(length=200), nullable=True))
    op.create_table(
        "account_review_campaigns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("idle_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_account_review_campaigns_status")
        ),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agencies.code"],
            name=op.f("fk_account_review_campaigns_agency_code_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_review_campaigns")),
    )
    op.create_index(
        op.f("ix_account_review_campaigns_agency_code"), "account_review_campaigns", ["agency_code"]
    )
    op.create_index(
        "uq_account_review_campaigns_open_agency",
        "account_review_campaigns",
        ["agency_code"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "account_review_items",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("account_status", sa.String(length=16), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("roles_removed", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('confirm', 'revoke')", name=op.f("ck_account_review_items_decision")
        ),
        sa.CheckConstraint(
            "(decision IS NULL AND decided_at IS NULL AND decided_by IS NULL)"
            " OR (decision IS NOT NULL AND decided_at IS NOT NULL AND decided_by IS NOT NULL"
            " AND reason IS NOT NULL)",
            name=op.f("ck_account_review_items_decided_with_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["account_review_campaigns.id"],
            name=op.f("fk_account_review_items_campaign_id_account_review_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["account"], ["accounts.name"], name=op.f("fk_account_review_items_account_accounts")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "account", name=op.f("pk_account_review_items")),
    )
    op.create_index(op.f("ix_account_review_items_account"), "account_review_items", ["account"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_review_items_account"), table_name="account_review_items")
    op.drop_table("account_review_items")
    op.drop_index("uq_account_review_campaigns_open_agency", table_name="account_review_campaigns")
    op.drop_index(
        op.f("ix_account_review_campaigns_agency_code"), table_name="account_review_campaigns"
    )
    op.drop_table("account_review_campaigns")
    op.drop_column("accounts", "disabled_reason")
