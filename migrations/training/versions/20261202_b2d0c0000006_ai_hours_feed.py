"""AI hours per person and year, with the moment they changed: the certs feed

Revision ID: b2d0c0000006
Revises: b2d0c0000005
Create Date: 2026-12-02

`ai_hours` holds each person's AI hours (basic and advanced, in hundredths) of
each year that has AI records, kept up to date by every write of learning
records and read by `GET /ai-hours?changed_since=`. The rows are filled here
from the records already stored, all stamped with the moment the revision
runs, so that the first pull takes them all.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "b2d0c0000006"
down_revision: str | None = "b2d0c0000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# services.training.domain.topics.TOPIC_BITS of the two AI tags, as of this revision.
AI_BASIC = 1 << 0
AI_ADVANCED = 1 << 1


def upgrade() -> None:
    op.create_table(
        "ai_hours",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("basic_centi", sa.Integer(), nullable=False),
        sa.Column("advanced_centi", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "year", name=op.f("pk_ai_hours")),
    )
    op.create_index(
        "ix_ai_hours_changed", "ai_hours", ["changed_at", "person_id", "year"], unique=False
    )
    # A record tagged both levels counts as advanced only (the 3 + 3 target).
    op.execute(
        sa.text(
            "INSERT INTO ai_hours (person_id, year, basic_centi, advanced_centi, changed_at) "
            "SELECT person_id, year, "
            "SUM(CASE WHEN (topic_mask & :advanced) <> 0 THEN 0 ELSE hours_centi END), "
            "SUM(CASE WHEN (topic_mask & :advanced) <> 0 THEN hours_centi ELSE 0 END), "
            ":now FROM learning_records "
            "WHERE NOT withdrawn AND (topic_mask & :ai) <> 0 "
            "GROUP BY person_id, year"
        ).bindparams(
            sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True)),
            advanced=AI_ADVANCED,
            ai=AI_BASIC | AI_ADVANCED,
        )
    )


def downgrade() -> None:
    op.drop_index("ix_ai_hours_changed", table_name="ai_hours")
    op.drop_table("ai_hours")
