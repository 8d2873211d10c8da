"""comp-time entries: covering index for balance reads

Revision ID: d4d0c0000003
Revises: d4d0c0000002
Create Date: 2026-11-25

A balance sums each grant's entries for one person; with (person_id,
grant_id, minutes) in one index PostgreSQL answers that from the index alone.
The index also serves every lookup by person_id, so the single-column index it
replaces is dropped rather than maintained on every append.

Building it locks the table against writes for the build. Where the ledger is
already large, build it first without blocking (`CREATE INDEX CONCURRENTLY
ix_comptime_entries_person_grant ON comptime_entries (person_id, grant_id,
minutes)`); this revision then finds it and only drops the old index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d4d0c0000003"
down_revision: str | None = "d4d0c0000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = "ix_comptime_entries_person_grant"
OLD = "ix_comptime_entries_person_id"


def upgrade() -> None:
    op.create_index(
        NEW, "comptime_entries", ["person_id", "grant_id", "minutes"], if_not_exists=True
    )
    op.drop_index(OLD, table_name="comptime_entries")


def downgrade() -> None:
    op.create_index(OLD, "comptime_entries", ["person_id"])
    op.drop_index(NEW, table_name="comptime_entries")
