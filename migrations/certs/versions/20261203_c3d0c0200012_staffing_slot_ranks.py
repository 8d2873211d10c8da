"""Staffing: each role's team-slot order kept on the person's row and indexed

Revision ID: c3d0c0200012
Revises: c3d0c0190011
Create Date: 2026-12-03

A team proposal ranks each role's holders by the best level of a certificate
supporting the role, then by how many, then by AI hours. Worked out from the
masks, that order took a pass over every row of the scope (300,000 at national
size) to count the holders per (level, how many), and another to read the
best of them. `slot_rank_<role>` now keeps the first two as one number a role
(best level times 2**32 plus how many, -1 when the person does not hold the
role; services/certs/domain/staffing.py `slot_rank`), written by the recount
that writes the masks, and `(slot_rank_<role>, agency_code, hours_year,
hours_centi, person_id)` gives a slot its best holders from the top rank down.

The backfill computes each rank from the row's masks.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0200012"
down_revision: str | None = "c3d0c0190011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As services/certs/domain/staffing.py lays them out on this revision.
ROLES = ("policy", "application", "development", "research")
ROLE_LEVEL_BASE = 12
LEVELS = (3, 2, 1)  # advanced, intermediate, basic: best first
SHIFT = 32


def _level_bit(role: str, level: int) -> int:
    return 1 << (ROLE_LEVEL_BASE + ROLES.index(role) * len(LEVELS) + level - 1)


def rank_sql(role: str) -> str:
    """The row's `slot_rank_<role>` from its masks, as SQL on `talent_persons`."""
    best = " ".join(
        f"WHEN (valid_mask & {_level_bit(role, level)}) != 0 THEN {level << SHIFT}"
        for level in LEVELS
    )
    return (
        f"CASE WHEN (live_roles & {1 << ROLES.index(role)}) = 0 THEN -1 "
        f"ELSE (CASE {best} ELSE 0 END) + valid_for_{role} END"
    )


def upgrade() -> None:
    # Plain ADD / DROP COLUMN (SQLite has both): a batch copy of the table
    # would reflect it and rebuild it for nothing.
    for role in ROLES:
        op.add_column(
            "talent_persons",
            sa.Column(f"slot_rank_{role}", sa.BigInteger(), nullable=False, server_default="-1"),
        )
    persons = sa.table(
        "talent_persons", sa.column("live_roles"), *(sa.column(f"slot_rank_{r}") for r in ROLES)
    )
    op.execute(
        sa.update(persons)
        .where(persons.c.live_roles != 0)
        .values({f"slot_rank_{role}": sa.literal_column(rank_sql(role)) for role in ROLES})
    )
    for role in ROLES:
        op.create_index(
            f"ix_talent_persons_slot_{role}",
            "talent_persons",
            [f"slot_rank_{role}", "agency_code", "hours_year", "hours_centi", "person_id"],
        )


def downgrade() -> None:
    for role in reversed(ROLES):
        op.drop_index(f"ix_talent_persons_slot_{role}", table_name="talent_persons")
        op.drop_column("talent_persons", f"slot_rank_{role}")
