"""import jobs: the agencies the starting account imported for

Revision ID: b2d0c0000004
Revises: b2d0c0000003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2d0c0000004"
down_revision: str | None = "b2d0c0000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Jobs already stored get no agencies: what their account's scope was is not
    # known, so they stay readable by that account alone. A NOT NULL column with a
    # constant default is added in place on SQLite too, without a table copy.
    op.add_column(
        "import_jobs",
        sa.Column("agency_scope", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )


def downgrade() -> None:
    # SQLite (3.35 on) drops a column no index or constraint uses without a copy.
    op.drop_column("import_jobs", "agency_scope")
