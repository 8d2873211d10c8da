"""personal data reads audit

Revision ID: e5d0c0000001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5d0c0000001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_data_reads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("reader", sa.String(length=128), nullable=False),
        sa.Column("reader_person_id", sa.String(length=64), nullable=True),
        sa.Column("subject_person_id", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=128), nullable=False),
        sa.Column("fields", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_reads")),
    )
    op.create_index(op.f("ix_personal_data_reads_at"), "personal_data_reads", ["at"])
    op.create_index(op.f("ix_personal_data_reads_reader"), "personal_data_reads", ["reader"])
    op.create_index(
        op.f("ix_personal_data_reads_subject_person_id"),
        "personal_data_reads",
        ["subject_person_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_personal_data_reads_subject_person_id"), table_name="personal_data_reads"
    )
    op.drop_index(op.f("ix_personal_data_reads_reader"), table_name="personal_data_reads")
    op.drop_index(op.f("ix_personal_data_reads_at"), table_name="personal_data_reads")
    op.drop_table("personal_data_reads")
