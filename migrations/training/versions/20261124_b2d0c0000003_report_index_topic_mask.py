"""learning records: topic bits, hours in hundredths, a covering index for reports

Revision ID: b2d0c0000003
Revises: b2d0c0000002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2d0c0000003"
down_revision: str | None = "b2d0c0000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# services.training.domain.topics.TOPIC_BITS as of this revision; a migration
# keeps its own copy so that it runs the same whatever the code becomes.
TOPIC_BITS = {
    "ai_basic": 1 << 0,
    "ai_advanced": 1 << 1,
    "environmental_education": 1 << 2,
    "gender_mainstreaming": 1 << 3,
    "democratic_values": 1 << 4,
    "major_policy": 1 << 5,
    "information_security": 1 << 6,
    "sexual_harassment_prevention": 1 << 7,
}


def upgrade() -> None:
    op.add_column(
        "learning_records",
        sa.Column("topic_mask", sa.Integer(), server_default="0", nullable=False),
    )
    # courses.topics is a sorted, comma-joined list of tags; "_" is escaped
    # because LIKE reads it as a wildcard.
    for name, bit in TOPIC_BITS.items():
        pattern = "%," + name.replace("_", "\\_") + ",%"
        op.execute(
            sa.text(
                "UPDATE learning_records SET topic_mask = topic_mask | :bit "
                "WHERE course_id IN (SELECT id FROM courses "
                "WHERE ',' || topics || ',' LIKE :pattern ESCAPE '\\')"
            ).bindparams(bit=bit, pattern=pattern)
        )
    # Generated: PostgreSQL stores it (it has no other kind), SQLite computes it on
    # read (it cannot add a stored column) and keeps it in the index below.
    stored = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "learning_records",
        sa.Column(
            "hours_centi",
            sa.Integer(),
            sa.Computed("CAST(ROUND(hours * 100) AS INTEGER)", persisted=stored),
            nullable=True,
        ),
    )
    op.drop_index("ix_learning_records_agency_year", table_name="learning_records")
    op.create_index(
        "ix_learning_records_report",
        "learning_records",
        [
            "agency_code",
            "year",
            "person_id",
            "topic_mask",
            "completed_on",
            "hours_centi",
            "withdrawn",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_learning_records_report", table_name="learning_records")
    op.create_index("ix_learning_records_agency_year", "learning_records", ["agency_code", "year"])
    # SQLite (3.35 on) drops a column no index uses without copying the table.
    op.drop_column("learning_records", "hours_centi")
    op.drop_column("learning_records", "topic_mask")
