"""import jobs queued: a spooled body run by a worker, with its progress in bytes

Revision ID: c3d0c0120004
Revises: c3d0c0000003
Create Date: 2026-12-02

An import may answer 202 and run as a job from its spooled body
(services/common/importing/queue.py): the job says it was spooled, the body's
size and how much of it is committed, the worker holding its lease and why it
failed. Jobs already stored ran in their request: not spooled, size unknown.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0120004"
down_revision: str | None = "c3d0c0000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Constant defaults or nullable: added in place on SQLite too, without a copy.
    op.add_column(
        "import_jobs",
        sa.Column("spooled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("import_jobs", sa.Column("bytes_total", sa.BigInteger(), nullable=True))
    op.add_column(
        "import_jobs",
        sa.Column("bytes_read", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("import_jobs", sa.Column("worker", sa.String(length=64), nullable=True))
    op.add_column("import_jobs", sa.Column("failure", sa.String(length=300), nullable=True))


def downgrade() -> None:
    for column in ("failure", "worker", "bytes_read", "bytes_total", "spooled"):
        op.drop_column("import_jobs", column)
