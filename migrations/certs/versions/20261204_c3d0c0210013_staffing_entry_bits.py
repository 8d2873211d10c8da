"""Staffing: a bit per catalogue entry in each person's valid mask

Revision ID: c3d0c0210013
Revises: c3d0c0200012
Create Date: 2026-12-04

`talent_persons.valid_mask` had a bit per (kind, level) and per (role, level)
of the certificates valid over the row's span. A filter by catalogue entry,
where another entry shares the entry's kind and level, could not be a bit test
and asked per person for a valid certificate of the entry's versions. Bits
24-62 are now one per catalogue entry, for entries 1 to 39 (by id;
services/certs/domain/staffing.py `entry_bit`).

On PostgreSQL the column becomes a BIGINT (SQLite's INTEGER is 64 bits).
The backfill sets each entry's bit on the rows holding a certificate of the
entry valid over the row's span: no certificate starts or stops being valid
within the span, so valid on its first day is valid throughout. Rows whose
span is empty are counted again by the daily job in any case. The downgrade
clears the bits (the revision before reads no bit above 23) and gives the
column back its 32 bits.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0210013"
down_revision: str | None = "c3d0c0200012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As services/certs/domain/staffing.py lays them out on this revision.
ENTRY_BIT_BASE = 24
ENTRY_BITS = 39
COUNTED_STATES = ("verified", "expired")


# `state || ''`: see services/certs/store/staffing.py `valid_on` (SQLite 3.40
# mis-seeks a state IN (...) followed by a range once analysed).
BACKFILL = sa.text(
    "UPDATE talent_persons SET valid_mask = valid_mask | :bit "
    "WHERE EXISTS (SELECT 1 FROM certificates c "
    "JOIN catalogue_versions v ON v.id = c.catalogue_version_id "
    "WHERE v.entry_id = :entry AND c.person_id = talent_persons.person_id "
    "AND c.state || '' IN (:verified, :expired) "
    "AND c.obtained_on <= talent_persons.valid_count_from "
    "AND (c.expires_on IS NULL OR c.expires_on > talent_persons.valid_count_from))"
)
CLEAR = sa.text(
    "UPDATE talent_persons SET valid_mask = valid_mask & :kept WHERE valid_mask > :kept"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        # SQLite's INTEGER is 64 bits already; PostgreSQL's is 32.
        op.alter_column(
            "talent_persons", "valid_mask", type_=sa.BigInteger(), existing_type=sa.Integer()
        )
    entries = bind.execute(
        sa.text("SELECT id FROM catalogue_entries WHERE id <= :n ORDER BY id"), {"n": ENTRY_BITS}
    ).all()
    verified, expired = COUNTED_STATES
    for (entry_id,) in entries:
        bit = 1 << (ENTRY_BIT_BASE + entry_id - 1)
        bind.execute(
            BACKFILL,
            {"bit": bit, "entry": entry_id, "verified": verified, "expired": expired},
        )


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(CLEAR, {"kept": (1 << ENTRY_BIT_BASE) - 1})
    if bind.dialect.name != "sqlite":
        op.alter_column(
            "talent_persons", "valid_mask", type_=sa.Integer(), existing_type=sa.BigInteger()
        )
