"""`slot_rank_<role>` on `talent_persons`: the number a team slot reads its
holders by (best level of a certificate supporting the role, then how many),
as the domain defines it, as the migration c3d0c0200012 backfills it, and as
the recount keeps it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import column, inspect, select, table, text
from sqlalchemy.sql.expression import ColumnClause

from services.certs.domain import staffing
from services.certs.domain.staffing import (
    NOT_PLAYED,
    ROLE_ORDER,
    best_level_in,
    role_level_bit,
    slot_rank,
    slot_rank_parts,
)
from services.certs.domain.talent import Level
from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from tests.databases import fresh_database, migration_module

BEFORE = "c3d0c0190011"
masks = st.integers(0, (1 << 24) - 1)
counts = st.integers(0, 10_000)
roles = st.sampled_from(ROLE_ORDER)


def _migration() -> ModuleType:
    return migration_module("certs", "c3d0c0200012")


def _order(live: int, mask: int, many: int, role: str) -> tuple[int, int, int]:
    """What the slot order compares first: played at all, best level, how many."""
    if not live & staffing.role_bit(role):
        return (0, 0, 0)
    best = best_level_in(mask, role)
    return (1, int(best) if best else 0, many)


@given(live=st.integers(0, 15), mask=masks, many=counts, role=roles)
def test_a_played_roles_rank_gives_back_its_level_and_count(live, mask, many, role) -> None:
    rank = slot_rank(live, mask, many, role)
    if not live & staffing.role_bit(role):
        assert rank == NOT_PLAYED
        return
    best = best_level_in(mask, role)
    assert slot_rank_parts(rank) == (int(best) if best else 0, many)


@given(
    a=st.tuples(st.integers(0, 15), masks, counts),
    b=st.tuples(st.integers(0, 15), masks, counts),
    role=roles,
)
def test_ranks_compare_as_played_then_level_then_count(
    a: tuple[int, int, int], b: tuple[int, int, int], role: str
) -> None:
    ranked = [slot_rank(live, mask, many, role) for live, mask, many in (a, b)]
    ordered = [_order(live, mask, many, role) for live, mask, many in (a, b)]
    assert (ranked[0] < ranked[1]) == (ordered[0] < ordered[1])
    assert (ranked[0] == ranked[1]) == (ordered[0] == ordered[1])


def test_the_migration_lays_out_the_bits_as_the_domain_does() -> None:
    migration = _migration()
    assert migration.ROLES == ROLE_ORDER
    assert migration.SHIFT == staffing.SLOT_RANK_SHIFT
    assert sorted(migration.LEVELS) == sorted(int(level) for level in Level)
    for role, level in itertools.product(ROLE_ORDER, Level):
        assert migration._level_bit(role, int(level)) == role_level_bit(role, level)


# Rows the backfill ranks: no role, one, several; no bit of the role, one
# level's, several levels' (the best counts), bits of other roles only.
ROWS = [
    (live, mask, many)
    for live in (0, 1, 2, 5, 15)
    for mask in (
        0,
        role_level_bit("policy", Level.BASIC),
        role_level_bit("policy", Level.BASIC) | role_level_bit("policy", Level.ADVANCED),
        role_level_bit("application", Level.INTERMEDIATE),
        role_level_bit("development", Level.ADVANCED) | role_level_bit("research", Level.BASIC),
        (1 << 24) - 1,
    )
    for many in (0, 3)
]


def test_the_upgrade_ranks_every_row_from_its_masks_and_downgrade_drops_them(tmp_path) -> None:
    now = datetime.now(UTC)
    with fresh_database("certs", tmp_path, migrate=False) as url:
        upgrade("certs", url, BEFORE)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO talent_persons (person_id, agency_code, unit_id, "
                        "refreshed_at, live_roles, valid_mask, valid_for_policy, "
                        "valid_for_application, valid_for_development, valid_for_research) "
                        "VALUES (:p, 'A01', '', :now, :live, :mask, :n, :n, :n, :n)"
                    ),
                    [
                        {"p": f"P{i:03d}", "now": now, "live": live, "mask": mask, "n": many}
                        for i, (live, mask, many) in enumerate(ROWS)
                    ],
                )
            engine.dispose()
            upgrade("certs", url, "c3d0c0200012")
            engine = make_engine(url)
            ranks: list[ColumnClause[Any]] = [column(f"slot_rank_{role}") for role in ROLE_ORDER]
            persons = table("talent_persons", column("person_id"), *ranks)
            with engine.connect() as conn:
                got = conn.execute(select(*ranks).order_by(persons.c.person_id)).all()
            engine.dispose()
            assert [tuple(r) for r in got] == [
                tuple(slot_rank(live, mask, many, role) for role in ROLE_ORDER)
                for live, mask, many in ROWS
            ]
            downgrade("certs", url, BEFORE)
            engine = make_engine(url)
            columns = {c["name"] for c in inspect(engine).get_columns("talent_persons")}
            indexes = {i["name"] for i in inspect(engine).get_indexes("talent_persons")}
            assert not {c for c in columns if c.startswith("slot_rank_")}
            assert not {i for i in indexes if i and i.startswith("ix_talent_persons_slot_")}
        finally:
            engine.dispose()
