"""Catalogue versions: the level's rank as data

Revision ID: c3d0c0180010
Revises: c3d0c0170009
Create Date: 2026-12-03

A catalogue version keeps its level in the issuer's words ("intermediate
(中級)", "foundational"); the rules compare three ranks (basic, intermediate,
advanced), which every reader used to take from the words by a keyword table in
code, a word the table did not know becoming basic (issue 10, item 1).
`catalogue_versions.level_rank` now holds the rank, checked to be one of the
three, and every reader uses it; the catalogue API takes it, or reads it from
the words when not given.

The backfill reads each existing version's words with the keyword table as it
stands at this revision, written out here (the domain's copy may change later;
this one must not). It is the table c3d0c0170009 read the same words with, so
the staffing masks that revision wrote agree with the ranks stored here.

On PostgreSQL the column is added, filled and then made NOT NULL with its
CHECK. SQLite cannot alter a column in place, and batch mode's copy of the
table would drop `catalogue_versions`, which the foreign keys of `certificates`
refuse while a certificate points at a version (foreign keys are on and cannot
be switched off inside the migration's transaction); so there the column is
added at once NOT NULL with its CHECK, which ADD COLUMN allows with a default
for the rows already there, and the backfill then writes each row's rank. The
default ('basic') stays in SQLite's schema; the service always writes the rank.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0180010"
down_revision: str | None = "c3d0c0170009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RANKS = ("basic", "intermediate", "advanced")
CHECK_NAME = "ck_catalogue_versions_level_rank"
CHECK = "level_rank IN ('basic', 'intermediate', 'advanced')"
# services/certs/domain/levels.py as of this revision: the first group naming a
# word of the level wins; none: basic.
LEVEL_WORDS = (
    ("advanced", ("professional", "advanced", "expert", "高級", "專業")),
    ("intermediate", ("intermediate", "associate", "planning", "中級")),
    ("basic", ("basic", "fundamental", "foundational", "core", "初級", "基礎")),
)

V = sa.table("catalogue_versions", sa.column("id"), sa.column("level"), sa.column("level_rank"))


def rank_of(text: str) -> str:
    words = text.casefold()
    for rank, names in LEVEL_WORDS:
        if any(name in words for name in names):
            return rank
    return "basic"


def _backfill() -> None:
    bind = op.get_bind()
    by_rank: dict[str, list[int]] = {}
    for version_id, level in bind.execute(sa.select(V.c.id, V.c.level)):
        by_rank.setdefault(rank_of(str(level)), []).append(int(version_id))
    for rank, ids in sorted(by_rank.items()):
        for start in range(0, len(ids), 500):
            bind.execute(
                sa.update(V).where(V.c.id.in_(ids[start : start + 500])).values(level_rank=rank)
            )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE catalogue_versions ADD COLUMN level_rank VARCHAR(16) "
            f"NOT NULL DEFAULT 'basic' CONSTRAINT {CHECK_NAME} CHECK ({CHECK})"
        )
        _backfill()
        return
    op.add_column("catalogue_versions", sa.Column("level_rank", sa.String(16), nullable=True))
    _backfill()
    with op.batch_alter_table("catalogue_versions") as batch:
        batch.alter_column("level_rank", existing_type=sa.String(16), nullable=False)
        batch.create_check_constraint(op.f(CHECK_NAME), CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(CHECK_NAME), "catalogue_versions", type_="check")
    # SQLite (3.35 on) drops a column whose only constraint is its own without a copy.
    op.drop_column("catalogue_versions", "level_rank")
