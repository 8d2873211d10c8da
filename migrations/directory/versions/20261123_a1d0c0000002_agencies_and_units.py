"""agencies and units

Revision ID: a1d0c0000002
Revises: a1d0c0000001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000002"
down_revision: str | None = "a1d0c0000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('competent_authority', 'subordinate', 'training_institution', 'school')",
            name=op.f("ck_agencies_type"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["agencies.code"], name=op.f("fk_agencies_parent_code_agencies")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agencies")),
    )
    op.create_index(op.f("ix_agencies_parent_code"), "agencies", ["parent_code"])
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_units_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("agency_code", "code", name=op.f("uq_units_agency_code_code")),
    )
    op.create_index(op.f("ix_units_agency_code"), "units", ["agency_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_units_agency_code"), table_name="units")
    op.drop_table("units")
    op.drop_index(op.f("ix_agencies_parent_code"), table_name="agencies")
    op.drop_table("agencies")
