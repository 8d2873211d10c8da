"""Staffing: the counts per agency read from one narrow index

Revision ID: c3d0c0190011
Revises: c3d0c0170009
Create Date: 2026-12-03

A staffing search answers with how many persons of each agency meet its
filters. With a role, kind or level filter (bit tests on `live_roles` and
`valid_mask`) that count read every row of the scope's persons from the table
(300,000 rows, 54 MB at national size); `(agency_code, live_roles, valid_mask,
unit_id)` holds all it tests in a few megabytes, read without the table. The
team proposal's count of each role's holders by level reads it the same way.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3d0c0190011"
down_revision: str | None = "c3d0c0170009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_talent_persons_agency_masks"


def upgrade() -> None:
    op.create_index(INDEX, "talent_persons", ["agency_code", "live_roles", "valid_mask", "unit_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="talent_persons")
