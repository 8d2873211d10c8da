"""Staffing: each person's count of valid certificates, kept by the registry

Revision ID: c3d0c0160008
Revises: c3d0c0140007
Create Date: 2026-12-03

`talent_persons.valid_certificates` is how many of the person's certificates
are valid on every day from `valid_count_from` up to the day before
`valid_count_until`: the registry's writes and the daily expiry job recompute
it, so a search sorted by certificates on such a day reads it from an index
instead of counting every certificate of every person (issue 10, item 8). A
row whose span does not cover the day asked makes the search count as before.
New rows span no day until counted. `person_ai_hours (year, ai_centi,
person_id)` is the AI-hours order, read backwards until a page is full (the
indexes are ascending: both databases sort the ties by person id as they read,
and SQLite's reflection would not see a DESC).

The backfill counts for the Taipei day of the upgrade.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0160008"
down_revision: str | None = "c3d0c0140007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
UPDATE talent_persons SET
  valid_certificates = (
    SELECT count(*) FROM certificates c
     WHERE c.person_id = talent_persons.person_id AND c.state IN ('verified', 'expired')
       AND c.obtained_on <= :day AND (c.expires_on IS NULL OR c.expires_on > :day)),
  valid_count_from = COALESCE((
    SELECT max(CASE WHEN c.expires_on <= :day THEN c.expires_on
                    WHEN c.obtained_on <= :day THEN c.obtained_on END)
      FROM certificates c
     WHERE c.person_id = talent_persons.person_id AND c.state IN ('verified', 'expired')),
    :first_day),
  valid_count_until = COALESCE((
    SELECT min(CASE WHEN c.obtained_on > :day THEN c.obtained_on
                    WHEN c.expires_on > :day THEN c.expires_on END)
      FROM certificates c
     WHERE c.person_id = talent_persons.person_id AND c.state IN ('verified', 'expired')),
    :last_day)
"""


def upgrade() -> None:
    op.add_column(
        "talent_persons",
        sa.Column("valid_certificates", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "talent_persons",
        sa.Column(
            "valid_count_from", sa.Date(), nullable=False, server_default=sa.text("'9999-12-31'")
        ),
    )
    op.add_column(
        "talent_persons",
        sa.Column(
            "valid_count_until", sa.Date(), nullable=False, server_default=sa.text("'0001-01-01'")
        ),
    )
    day = datetime.now(UTC).astimezone(ZoneInfo("Asia/Taipei")).date()
    op.get_bind().execute(
        sa.text(BACKFILL).bindparams(
            sa.bindparam("day", day, type_=sa.Date()),
            sa.bindparam("first_day", date(1, 1, 1), type_=sa.Date()),
            sa.bindparam("last_day", date(9999, 12, 31), type_=sa.Date()),
        )
    )
    op.create_index(
        "ix_talent_persons_certificates_order",
        "talent_persons",
        ["valid_certificates", "person_id", "agency_code", "unit_id"],
    )
    op.create_index("ix_talent_persons_valid_count_from", "talent_persons", ["valid_count_from"])
    op.create_index("ix_talent_persons_valid_count_until", "talent_persons", ["valid_count_until"])
    op.create_index(
        "ix_person_ai_hours_year_hours_order",
        "person_ai_hours",
        ["year", "ai_centi", "person_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_person_ai_hours_year_hours_order", table_name="person_ai_hours")
    op.drop_index("ix_talent_persons_valid_count_until", table_name="talent_persons")
    op.drop_index("ix_talent_persons_valid_count_from", table_name="talent_persons")
    op.drop_index("ix_talent_persons_certificates_order", table_name="talent_persons")
    for column in ("valid_count_until", "valid_count_from", "valid_certificates"):
        op.drop_column("talent_persons", column)
