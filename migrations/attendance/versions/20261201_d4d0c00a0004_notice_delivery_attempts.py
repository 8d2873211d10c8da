"""notices: delivery attempts, last errors and claims, for the kernel's delivery

Revision ID: d4d0c00a0004
Revises: d4d0c0000003
Create Date: 2026-12-01

Notices are now delivered by the kernel (services.common.notices), which
counts each channel's attempts, keeps why the last one failed (an error
class and status code, never a message) and leases the notices a run is
sending through `next_attempt_at`, so that two runs never send the same
notice. Notices stored before this revision start with no attempts counted;
the columns are only added, so PostgreSQL and SQLite alter in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4d0c00a0004"
down_revision: str | None = "d4d0c0000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("webhook_attempts", "email_attempts", "webhook_error", "email_error", "next_attempt_at")


def upgrade() -> None:
    for channel in ("webhook", "email"):
        op.add_column(
            "notices",
            sa.Column(f"{channel}_attempts", sa.Integer(), server_default="0", nullable=False),
        )
        op.add_column("notices", sa.Column(f"{channel}_error", sa.String(length=100)))
    op.add_column("notices", sa.Column("next_attempt_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    # SQLite (3.35 on) drops a column no index or constraint uses without a copy.
    for name in reversed(COLUMNS):
        op.drop_column("notices", name)
