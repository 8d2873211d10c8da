"""Staffing: the counts per agency read from one narrow index, with each
person's latest AI hours on their row

Revision ID: c3d0c0190011
Revises: c3d0c0180010
Create Date: 2026-12-03

A staffing search answers with how many persons of each agency meet its
filters. With a role, kind or level filter (bit tests on `live_roles` and
`valid_mask`) that count read every row of the scope's persons from the table
(300,000 rows, 54 MB at national size), and an AI-hours filter probed
`person_ai_hours` for each of them. `talent_persons` now keeps the person's
latest year in `person_ai_hours` and its hours (`hours_year`, `hours_centi`;
0 and 0 without any), written with the hours, and `(agency_code, live_roles,
valid_mask, unit_id, hours_year, hours_centi)` holds all a count tests in a few
megabytes, read without the table.

The backfill copies the latest year of each person.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0190011"
down_revision: str | None = "c3d0c0180010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_talent_persons_agency_masks"
# Replaces the plain index of `unit_id`: leading with the unit, it serves what
# that one did and the counts under a unit filter without the table.
UNIT_INDEX = "ix_talent_persons_unit_counts"
OLD_UNIT_INDEX = "ix_talent_persons_unit_id"
COUNTED = ("live_roles", "valid_mask", "hours_year", "hours_centi")
COLUMNS = ("hours_year", "hours_centi")
BACKFILL = """
UPDATE talent_persons SET
  hours_year = COALESCE((
    SELECT max(h.year) FROM person_ai_hours h WHERE h.person_id = talent_persons.person_id), 0),
  hours_centi = COALESCE((
    SELECT h.ai_centi FROM person_ai_hours h WHERE h.person_id = talent_persons.person_id
     ORDER BY h.year DESC LIMIT 1), 0)
 WHERE EXISTS (SELECT 1 FROM person_ai_hours h WHERE h.person_id = talent_persons.person_id)
"""


def upgrade() -> None:
    # Plain ADD / DROP COLUMN (SQLite has both): a batch copy of the table
    # would reflect it and rebuild it for nothing.
    for name in COLUMNS:
        op.add_column(
            "talent_persons", sa.Column(name, sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(BACKFILL)
    op.create_index(
        INDEX,
        "talent_persons",
        ["agency_code", "live_roles", "valid_mask", "unit_id", "hours_year", "hours_centi"],
    )
    op.drop_index(OLD_UNIT_INDEX, table_name="talent_persons")
    op.create_index(UNIT_INDEX, "talent_persons", ["unit_id", "agency_code", *COUNTED])


def downgrade() -> None:
    op.drop_index(UNIT_INDEX, table_name="talent_persons")
    op.create_index(OLD_UNIT_INDEX, "talent_persons", ["unit_id"])
    op.drop_index(INDEX, table_name="talent_persons")
    for name in reversed(COLUMNS):
        op.drop_column("talent_persons", name)
