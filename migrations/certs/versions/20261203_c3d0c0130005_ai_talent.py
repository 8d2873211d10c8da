"""AI talent: roles by duties with their history, where persons work, their AI hours, the feed position

Revision ID: c3d0c0130005
Revises: c3d0c0120004
Create Date: 2026-12-03

`talent_roles` keeps every assignment (ending one sets `ended_*`); at most one
live row per person and role. `talent_persons` and `person_ai_hours` are the
copy of training's roster and AI hours the nightly pull keeps, so staffing
search and reports never ask training per person; `feed_positions` says where
the last complete pull ended.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0130005"
down_revision: str | None = "c3d0c0120004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_positions",
        sa.Column("feed", sa.String(length=32), nullable=False),
        sa.Column("changed_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("feed", name=op.f("pk_feed_positions")),
    )
    op.create_table(
        "person_ai_hours",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("ai_centi", sa.Integer(), nullable=False),
        sa.Column("basic_centi", sa.Integer(), nullable=False),
        sa.Column("advanced_centi", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "year", name=op.f("pk_person_ai_hours")),
    )
    op.create_index(
        "ix_person_ai_hours_year_hours", "person_ai_hours", ["year", "ai_centi"], unique=False
    )
    op.create_table(
        "talent_persons",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_talent_persons")),
    )
    op.create_index(
        op.f("ix_talent_persons_agency_code"), "talent_persons", ["agency_code"], unique=False
    )
    op.create_index(op.f("ix_talent_persons_unit_id"), "talent_persons", ["unit_id"], unique=False)
    op.create_table(
        "talent_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("assigned_by", sa.String(length=128), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(length=128), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "role IN ('policy', 'application', 'development', 'research')",
            name=op.f("ck_talent_roles_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_roles")),
    )
    op.create_index(
        op.f("ix_talent_roles_agency_code"), "talent_roles", ["agency_code"], unique=False
    )
    op.create_index(op.f("ix_talent_roles_person_id"), "talent_roles", ["person_id"], unique=False)
    op.create_index(
        "ix_talent_roles_role_person", "talent_roles", ["role", "person_id"], unique=False
    )
    op.create_index(
        "uq_talent_roles_live",
        "talent_roles",
        ["person_id", "role"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:

    op.drop_index(
        "uq_talent_roles_live",
        table_name="talent_roles",
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index("ix_talent_roles_role_person", table_name="talent_roles")
    op.drop_index(op.f("ix_talent_roles_person_id"), table_name="talent_roles")
    op.drop_index(op.f("ix_talent_roles_agency_code"), table_name="talent_roles")
    op.drop_table("talent_roles")
    op.drop_index(op.f("ix_talent_persons_unit_id"), table_name="talent_persons")
    op.drop_index(op.f("ix_talent_persons_agency_code"), table_name="talent_persons")
    op.drop_table("talent_persons")
    op.drop_index("ix_person_ai_hours_year_hours", table_name="person_ai_hours")
    op.drop_table("person_ai_hours")
    op.drop_table("feed_positions")
