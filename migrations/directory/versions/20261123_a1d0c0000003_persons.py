"""persons

Revision ID: a1d0c0000003
Revises: a1d0c0000002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000003"
down_revision: str | None = "a1d0c0000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("supervisor_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_on", sa.Date(), nullable=True),
        sa.Column("national_id_hmac", sa.String(length=64), nullable=True),
        sa.Column("national_id_masked", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'left', 'deceased')", name=op.f("ck_persons_status")
        ),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_persons_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_persons_unit_id_units")),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["persons.id"], name=op.f("fk_persons_supervisor_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("national_id_hmac", name=op.f("uq_persons_national_id_hmac")),
    )
    op.create_index(op.f("ix_persons_agency_code"), "persons", ["agency_code"])
    op.create_index(op.f("ix_persons_unit_id"), "persons", ["unit_id"])
    op.create_index(op.f("ix_persons_supervisor_id"), "persons", ["supervisor_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_persons_supervisor_id"), table_name="persons")
    op.drop_index(op.f("ix_persons_unit_id"), table_name="persons")
    op.drop_index(op.f("ix_persons_agency_code"), table_name="persons")
    op.drop_table("persons")
