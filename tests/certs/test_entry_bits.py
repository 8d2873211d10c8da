"""A bit per catalogue entry in `talent_persons.valid_mask`: where it lies, that
a filter by entry beside another entry of the same kind and level becomes a bit
test finding exactly whom the per-certificate EXISTS finds, that an entry past
the 39th is still asked per certificate, and that the migration c3d0c0210013
backfills the bits the recount writes (and its downgrade clears them)."""

# ruff: noqa: F811
from __future__ import annotations

from datetime import date
from types import ModuleType

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Select, select, text
from sqlmodel import col

from services.certs.domain.staffing import (
    ENTRY_BIT_BASE,
    ENTRY_BITS,
    KIND_ORDER,
    ROLE_ORDER,
    SearchFilter,
    certificate_bits,
    entry_bit,
    kind_level_bit,
    matching_versions,
    role_level_bit,
)
from services.certs.domain.talent import Level
from services.certs.models import CatalogueVersion, TalentPerson
from services.certs.service.staffing import catalogue
from services.certs.store import staffing as store
from services.certs.store.person_certificates import recount
from tests.certs.staffing_data import Data, data  # noqa: F401
from tests.databases import migration_module

DAY = date(2026, 12, 1)
AGENCY = "E01"


def _migration() -> ModuleType:
    return migration_module("certs", "c3d0c0210013")


@pytest.mark.parametrize(
    ("entry_id", "bit"),
    [(0, 0), (1, 1 << 24), (2, 1 << 25), (39, 1 << 62), (40, 0), (1_000, 0)],
)
def test_an_entrys_bit_lies_above_the_kind_and_role_bits_and_below_the_sign(
    entry_id: int, bit: int
) -> None:
    assert entry_bit(entry_id) == bit


def test_the_entry_bits_overlap_no_other_bit_and_fit_a_bigint() -> None:
    others = 0
    for level in Level:
        for kind in KIND_ORDER:
            others |= kind_level_bit(kind, level)
        for role in ROLE_ORDER:
            others |= role_level_bit(role, level)
    entries = 0
    for entry_id in range(1, ENTRY_BITS + 1):
        assert not entry_bit(entry_id) & entries
        entries |= entry_bit(entry_id)
    assert not entries & others
    assert (entries | others) < 2**63
    migration = _migration()
    assert (migration.ENTRY_BIT_BASE, migration.ENTRY_BITS) == (ENTRY_BIT_BASE, ENTRY_BITS)


def _entry_of(data: Data, version_id: int) -> int:
    version = data.session.get(CatalogueVersion, version_id)
    assert version is not None
    return version.entry_id


def _fixture(data: Data) -> tuple[int, int, int, dict[str, set[str]]]:
    """Entries X and Y of the same kind and level, Z (the same again) past the
    39th entry; persons holding them in every way that counts and does not."""
    x = data.version("bits-x", "tool", "intermediate (中級)", ("application",))
    y = data.version("bits-y", "tool", "intermediate (中級)", ("application",))
    filler = 0
    while _entry_of(data, data.version(f"bits-fill-{filler}", "literacy")) < ENTRY_BITS:
        filler += 1
    z = data.version("bits-z", "tool", "intermediate (中級)", ("application",))
    assert entry_bit(_entry_of(data, x)) and entry_bit(_entry_of(data, y))
    assert entry_bit(_entry_of(data, z)) == 0
    holders: dict[str, set[str]] = {"bits-x": set(), "bits-y": set(), "bits-z": set()}
    persons: tuple[tuple[str, list[tuple[int, date, date | None, str]], set[str]], ...] = (
        ("E-X", [(x, date(2026, 1, 1), None, "verified")], {"bits-x"}),
        ("E-Y", [(y, date(2026, 1, 1), None, "verified")], {"bits-y"}),
        (
            "E-XY",
            [(x, date(2025, 1, 1), None, "expired"), (y, date(2026, 2, 1), None, "verified")],
            {"bits-x", "bits-y"},
        ),
        ("E-X-LAPSED", [(x, date(2024, 1, 1), date(2026, 12, 1), "verified")], set()),
        ("E-X-LATER", [(x, date(2026, 12, 2), None, "verified")], set()),
        ("E-X-REVOKED", [(x, date(2026, 1, 1), None, "revoked")], set()),
        ("E-Z", [(z, date(2026, 1, 1), None, "verified")], {"bits-z"}),
        ("E-NONE", [], set()),
    )
    for pid, certs, holds in persons:
        data.person(pid, AGENCY)
        for version, obtained, lapses, state in certs:
            data.certificate(pid, version, obtained, lapses, state, AGENCY)
        for code in holds:
            holders[code].add(pid)
    data.commit()
    recount(data.session, [pid for pid, _, _ in persons], DAY)
    data.commit()
    return x, y, z, holders


def test_a_filter_by_entry_beside_its_kind_and_levels_twin_is_a_bit_test(data: Data) -> None:
    x, y, _z, holders = _fixture(data)
    facts = catalogue(data.session)
    for codes in ({"bits-x"}, {"bits-y"}, {"bits-x", "bits-y"}, {"bits-z"}, {"bits-x", "bits-z"}):
        wanted = matching_versions(facts, codes=frozenset(codes))
        assert wanted is not None
        bits = certificate_bits(facts, wanted)
        if "bits-z" in codes:
            # Z has no bit and shares its (kind, level): asked per certificate.
            assert bits is None
        else:
            expected = 0
            for version in (x, y):
                if version in wanted:
                    expected |= entry_bit(_entry_of(data, version))
            assert bits == expected
        held = set().union(*(holders[c] for c in codes))
        scope = frozenset({AGENCY})
        by_exists = SearchFilter(day=DAY, year=DAY.year, agencies=scope, version_ids=wanted)
        masked = SearchFilter(
            day=DAY,
            year=DAY.year,
            agencies=scope,
            version_ids=wanted,
            mask_bits=bits,
            masks_cover=True,
        )
        counts = [(AGENCY, len(held))] if held else []
        assert store.counts_per_agency(data.session, by_exists) == counts
        assert store.counts_per_agency(data.session, masked) == counts


def _masks(data: Data, persons: Select[str, int]) -> dict[str, int]:
    return {pid: int(mask) for pid, mask in data.session.execute(persons)}


def test_the_upgrade_backfills_the_entry_bits_the_recount_writes(data: Data) -> None:
    _fixture(data)
    persons = select(col(TalentPerson.person_id), col(TalentPerson.valid_mask)).where(
        col(TalentPerson.agency_code) == AGENCY
    )
    recounted = _masks(data, persons)
    assert recounted["E-X"] >= 1 << ENTRY_BIT_BASE
    below = (1 << ENTRY_BIT_BASE) - 1
    # As the revision before left them: no entry bits.
    data.session.execute(
        text("UPDATE talent_persons SET valid_mask = valid_mask & :m WHERE agency_code = :a"),
        {"m": below, "a": AGENCY},
    )
    migration = _migration()
    with Operations.context(MigrationContext.configure(data.session.connection())):
        migration.upgrade()
    assert _masks(data, persons) == recounted
    with Operations.context(MigrationContext.configure(data.session.connection())):
        migration.downgrade()
    assert _masks(data, persons) == {pid: mask & below for pid, mask in recounted.items()}
    data.session.rollback()
