"""search links carry each audience's ranking day; import jobs name their kind and their record source apart

Revision ID: e5d0c0140006
Revises: e5d0c0120005
Create Date: 2026-12-03

A lecturer whose engagement records are disclosed to training officers only,
or hidden, was still ranked by their latest engagement day for every caller:
the order of results told an authorised searcher what the result itself hid.
`search_links.engaged_on` becomes the day a training officer ranks by (NEVER,
0001-01-01, when the records are hidden) and the new `searcher_engaged_on` the
day an authorised searcher ranks by (the same day only when the records are
disclosed to searchers), with an index on (value_id, searcher_engaged_on,
lecturer_id) as for `engaged_on`.

`import_jobs.record_source` holds the database an import's rows come from,
and `source` becomes the import's kind alone (`lecturers`, `engagements`;
it was `lecturers:<source>`): a queued job's import is built from the row by
any speakers worker, which finds portable imports by their exact source. Jobs
stored before are rewritten so; a job whose idempotency key another job of the
same kind also used (under another source) keeps its old form, since the pair
(source, key) is unique, and is listed no more (re-posting its file with its
key starts a new job, which re-imports idempotently).

The lifelong-learning-portal course categories stay the provisional P01–P14
of e5d0c0000003: the portal's published list was not found in a public source.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5d0c0140006"
down_revision: str | None = "e5d0c0120005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER = "0001-01-01"


def _links_with_one_day() -> sa.Table:
    """search_links as e5d0c0000004 left it: SQLite's batch copy on the way down
    starts from it instead of reflecting the table."""
    return sa.Table(
        "search_links",
        sa.MetaData(),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("engaged_on", sa.Date(), nullable=False, server_default=NEVER),
        sa.Column("searcher_engaged_on", sa.Date(), nullable=False, server_default=NEVER),
        sa.ForeignKeyConstraint(
            ["lecturer_id"], ["lecturers.id"], name="fk_search_links_lecturer_id_lecturers"
        ),
        sa.ForeignKeyConstraint(
            ["value_id"], ["search_values.id"], name="fk_search_links_value_id_search_values"
        ),
        sa.PrimaryKeyConstraint("value_id", "lecturer_id", name="pk_search_links"),
        sa.Index("ix_search_links_lecturer_id", "lecturer_id"),
        sa.Index("ix_search_links_value_id_engaged_on", "value_id", "engaged_on", "lecturer_id"),
    )


KINDS = ("lecturers", "engagements")


def _split_sources() -> None:
    for kind in KINDS:
        prefix = f"{kind}:"
        # A job whose key another job of this kind also has: left as it is.
        op.get_bind().execute(
            sa.text(
                "UPDATE import_jobs SET record_source = substr(source, :start), source = :kind"
                " WHERE source LIKE :pattern AND NOT EXISTS (SELECT 1 FROM import_jobs other"
                " WHERE other.id <> import_jobs.id"
                " AND other.idempotency_key = import_jobs.idempotency_key"
                " AND other.source LIKE :pattern)"
            ),
            {"start": len(prefix) + 1, "kind": kind, "pattern": f"{prefix}%"},
        )


def _join_sources() -> None:
    for kind in KINDS:
        op.get_bind().execute(
            sa.text(
                "UPDATE import_jobs SET source = :kind || ':' || record_source"
                " WHERE source = :kind AND record_source IS NOT NULL"
            ),
            {"kind": kind},
        )


def upgrade() -> None:
    op.add_column("import_jobs", sa.Column("record_source", sa.String(length=32), nullable=True))
    _split_sources()
    # The default fills the rows already there (SQLite adds a NOT NULL column
    # only with one); the model always gives the value.
    op.add_column(
        "search_links",
        sa.Column("searcher_engaged_on", sa.Date(), nullable=False, server_default=NEVER),
    )
    op.execute(
        "UPDATE search_links SET searcher_engaged_on = engaged_on"
        " WHERE EXISTS (SELECT 1 FROM lecturers WHERE lecturers.id = search_links.lecturer_id"
        " AND lecturers.engagements_disclosure = 'searchers')"
    )
    op.execute(
        "UPDATE search_links SET engaged_on = '0001-01-01'"
        " WHERE EXISTS (SELECT 1 FROM lecturers WHERE lecturers.id = search_links.lecturer_id"
        " AND lecturers.engagements_disclosure = 'hidden')"
    )
    op.create_index(
        "ix_search_links_value_id_searcher_engaged_on",
        "search_links",
        ["value_id", "searcher_engaged_on", "lecturer_id"],
    )


def downgrade() -> None:
    _join_sources()
    op.drop_column("import_jobs", "record_source")
    op.drop_index("ix_search_links_value_id_searcher_engaged_on", table_name="search_links")
    with op.batch_alter_table("search_links", copy_from=_links_with_one_day()) as batch:
        batch.drop_column("searcher_engaged_on")
    # engaged_on goes back to every lecturer's latest day, whatever the consent.
    op.execute(
        "UPDATE search_links SET engaged_on = (SELECT lecturers.last_engaged_on FROM lecturers"
        " WHERE lecturers.id = search_links.lecturer_id)"
        " WHERE EXISTS (SELECT 1 FROM lecturers WHERE lecturers.id = search_links.lecturer_id"
        " AND lecturers.last_engaged_on IS NOT NULL)"
    )
