"""import jobs: the kernel import pipeline's job and row-error tables

Revision ID: d4d0c00a0005
Revises: d4d0c00a0004
Create Date: 2026-12-02

The roster, clocked-day and overtime imports become jobs like every import
(services/common/importing): batches committed with the job's progress,
resumable by Idempotency-Key, every row error kept for `errors.csv`. Two
columns are attendance's own: `record_source`, the `?source=` a record import
files its rows under, and `warnings`, the rule warnings of accepted rows (the
first 1000, as JSON), appended with each batch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4d0c00a0005"
down_revision: str | None = "d4d0c00a0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("agency_scope", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committed_row", sa.Integer(), nullable=False),
        sa.Column("committed_digest", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("record_source", sa.String(length=64), nullable=True),
        sa.Column("warnings", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
        sa.UniqueConstraint(
            "source", "idempotency_key", name=op.f("uq_import_jobs_source_idempotency_key")
        ),
    )
    op.create_table(
        "import_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name=op.f("fk_import_errors_job_id_import_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_errors")),
    )
    op.create_index(op.f("ix_import_errors_job_id"), "import_errors", ["job_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_import_errors_job_id"), table_name="import_errors")
    op.drop_table("import_errors")
    op.drop_table("import_jobs")
