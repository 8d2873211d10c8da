"""settlements: the business-necessity refusal each settlement rests on

Revision ID: d4d0c0130005
Revises: d4d0c00a0005
Create Date: 2026-12-02

The settlement queue shows, per entry, the comp-leave refusal that made the
lapsed hours payable or commendable. Rows settled before this revision keep
no such reference (NULL). The column is only added, so PostgreSQL and SQLite
alter in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4d0c0130005"
down_revision: str | None = "d4d0c00a0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("settlements", sa.Column("leave_request_id", sa.Integer()))


def downgrade() -> None:
    op.drop_column("settlements", "leave_request_id")
