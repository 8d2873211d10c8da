"""Promotion points tables and agencies' own stage rules, as data

Revision ID: c3d0c0140006
Revises: c3d0c0130005
Create Date: 2026-12-03

One row per agency and year (陞任評分標準表, AI knowledge): points by
certificate kind and level, by AI-hour bands, and the caps of "professional or
technical ability" and "training and further study". No default row: the
guidance leaves the points to each agency within its caps (seed 001 Q5). `talent_stage_rules` holds an agency's own learning-path stage rules,
used for its persons instead of the default ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0140006"
down_revision: str | None = "c3d0c0130005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promotion_points_tables",
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("certificates", sa.JSON(), nullable=False),
        sa.Column("hour_bands", sa.JSON(), nullable=False),
        sa.Column("caps", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency_code", "year", name=op.f("pk_promotion_points_tables")),
    )
    op.create_table(
        "talent_stage_rules",
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency_code", name=op.f("pk_talent_stage_rules")),
    )


def downgrade() -> None:
    op.drop_table("talent_stage_rules")
    op.drop_table("promotion_points_tables")
