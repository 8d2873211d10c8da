"""job runs: the claim by which one replica runs each training job

Revision ID: b2d0c0000005
Revises: b2d0c0000004
Create Date: 2026-12-01

The same table as attendance's (services.common.job_runs claims on it), for
training's first scheduled job, the nightly roster sync.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2d0c0000005"
down_revision: str | None = "b2d0c0000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "day", name=op.f("uq_job_runs_job_day")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
