"""lecturers and engagements

Revision ID: e5d0c0000002
Revises: e5d0c0000001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5d0c0000002"
down_revision: str | None = "e5d0c0000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lecturers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("expertise", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lecturers")),
    )
    op.create_index(op.f("ix_lecturers_name"), "lecturers", ["name"])
    op.create_table(
        "engagements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_ref", sa.String(length=80), nullable=False),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lecturer_id"], ["lecturers.id"], name=op.f("fk_engagements_lecturer_id_lecturers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagements")),
        sa.UniqueConstraint(
            "class_ref",
            "session_number",
            "lecturer_id",
            name=op.f("uq_engagements_class_ref_session_number_lecturer_id"),
        ),
    )
    op.create_index(op.f("ix_engagements_agency_code"), "engagements", ["agency_code"])
    op.create_index(op.f("ix_engagements_class_ref"), "engagements", ["class_ref"])
    op.create_index(op.f("ix_engagements_lecturer_id"), "engagements", ["lecturer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_engagements_lecturer_id"), table_name="engagements")
    op.drop_index(op.f("ix_engagements_class_ref"), table_name="engagements")
    op.drop_index(op.f("ix_engagements_agency_code"), table_name="engagements")
    op.drop_table("engagements")
    op.drop_index(op.f("ix_lecturers_name"), table_name="lecturers")
    op.drop_table("lecturers")
