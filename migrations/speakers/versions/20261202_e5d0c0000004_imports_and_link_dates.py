"""lecturer and engagement imports; each search link carries its lecturer's latest engagement day

Revision ID: e5d0c0000004
Revises: e5d0c0000003
Create Date: 2026-12-02

`import_jobs` and `import_errors` are the kernel import pipeline's two tables
(services.common.importing.model) for the lecturer and engagement imports.

`search_links.engaged_on` copies the lecturer's `last_engaged_on` (0001-01-01
when none) onto each link, with an index on (value_id, engaged_on,
lecturer_id): a search reads one value's links best first and stops when its
page is full. Values no lecturer holds any more are dropped with their grams,
as the index now does when a value's last link goes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5d0c0000004"
down_revision: str | None = "e5d0c0000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER = "0001-01-01"


def _import_tables() -> None:
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


def _links_with_day() -> sa.Table:
    """search_links as this revision leaves it: SQLite's batch copy starts from it
    instead of reflecting the table."""
    return sa.Table(
        "search_links",
        sa.MetaData(),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("engaged_on", sa.Date(), nullable=False, server_default=NEVER),
        sa.ForeignKeyConstraint(
            ["lecturer_id"], ["lecturers.id"], name="fk_search_links_lecturer_id_lecturers"
        ),
        sa.ForeignKeyConstraint(
            ["value_id"], ["search_values.id"], name="fk_search_links_value_id_search_values"
        ),
        sa.PrimaryKeyConstraint("value_id", "lecturer_id", name="pk_search_links"),
        sa.Index("ix_search_links_lecturer_id", "lecturer_id"),
    )


def upgrade() -> None:
    _import_tables()
    # The default fills the rows already there (SQLite adds a NOT NULL column
    # only with one); the model always gives the value.
    op.add_column(
        "search_links", sa.Column("engaged_on", sa.Date(), nullable=False, server_default=NEVER)
    )
    op.execute(
        "UPDATE search_links SET engaged_on = (SELECT lecturers.last_engaged_on FROM lecturers"
        " WHERE lecturers.id = search_links.lecturer_id)"
        " WHERE EXISTS (SELECT 1 FROM lecturers WHERE lecturers.id = search_links.lecturer_id"
        " AND lecturers.last_engaged_on IS NOT NULL)"
    )
    op.create_index(
        "ix_search_links_value_id_engaged_on",
        "search_links",
        ["value_id", "engaged_on", "lecturer_id"],
    )
    op.execute(
        "DELETE FROM search_grams WHERE NOT EXISTS (SELECT 1 FROM search_links"
        " WHERE search_links.value_id = search_grams.value_id)"
    )
    op.execute(
        "DELETE FROM search_values WHERE NOT EXISTS (SELECT 1 FROM search_links"
        " WHERE search_links.value_id = search_values.id)"
    )


def downgrade() -> None:
    op.drop_index("ix_search_links_value_id_engaged_on", table_name="search_links")
    with op.batch_alter_table("search_links", copy_from=_links_with_day()) as batch:
        batch.drop_column("engaged_on")
    op.drop_index(op.f("ix_import_errors_job_id"), table_name="import_errors")
    op.drop_table("import_errors")
    op.drop_table("import_jobs")
