"""The masks of `talent_persons` (live roles, valid certificates by kind x level
and by supported role x level, valid certificates per role): what the recount
writes is what the rows say, a mask test finds exactly who an EXISTS finds, and
the agency summary from the masks is the one from the rows, and the migration's
backfill lays the bits out as the domain does."""

# The fixtures imported from staffing_data are redefined as parameters.
# ruff: noqa: F811

from __future__ import annotations

import itertools
from datetime import date, timedelta
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import Session, col

from services.certs.domain import levels
from services.certs.domain.staffing import (
    KIND_ORDER,
    NOT_PLAYED,
    ROLE_ORDER,
    SearchFilter,
    VersionFacts,
    certificate_bits,
    entry_bit,
    matching_versions,
    roles_bits,
    slot_rank,
    valid_on,
    version_bits,
)
from services.certs.domain.talent import Level
from services.certs.models import TalentPerson, TalentRoleAssignment
from services.certs.service.staffing import catalogue
from services.certs.store import staffing as store
from services.certs.store.person_certificates import counts_cover, recount
from tests.certs.conftest import TALENT_HR_A01
from tests.certs.staffing_data import Data, data  # noqa: F401
from tests.certs.test_talent_roles import PERSON, ROLES, assign, known  # noqa: F401
from tests.databases import migration_module

LEVEL_TEXTS = ("fundamentals", "intermediate (中級)", "associate", "professional", "core", "x")
STATES = ("submitted", "verified", "expired", "revoked", "rejected")
# Feb 29 and its neighbours, a year end.
DAYS = (date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2025, 12, 31))


def _migration(revision: str = "c3d0c0170009") -> ModuleType:
    return migration_module("certs", revision)


versions_st = st.builds(
    VersionFacts,
    id=st.integers(1, 10_000),
    code=st.just("c"),
    kind=st.sampled_from(KIND_ORDER),
    rank=st.sampled_from(Level),
    roles=st.lists(st.sampled_from(ROLE_ORDER), unique=True).map(tuple),
)


@given(v=versions_st)
def test_the_backfill_lays_out_the_bits_as_the_domain_does(v: VersionFacts) -> None:
    migration = _migration()
    assert migration._bits(v.kind, int(v.rank), list(v.roles)) == version_bits(v)
    assert migration.ROLES == ROLE_ORDER and migration.KINDS == KIND_ORDER


@given(level=st.sampled_from(LEVEL_TEXTS) | st.text(max_size=20))
def test_the_masks_backfill_read_the_words_as_the_rank_backfill_stored_them(level: str) -> None:
    """c3d0c0170009 set each person's bits from the words; c3d0c0180010 stores
    each version's rank from the same words: the bits are the rank's bits."""
    masks, ranks = _migration(), _migration("c3d0c0180010")
    assert masks._level(level) == int(Level[ranks.rank_of(level).upper()])
    # Today's default for a version given no rank reads the words the same way.
    assert levels.level_code(levels.level_of(level)) == ranks.rank_of(level)


@given(
    facts=st.lists(versions_st, min_size=1, max_size=8, unique_by=lambda v: v.id).map(
        lambda vs: [
            # Entries 1 and 2 have a bit; code-2 stands for an entry past the 39th.
            VersionFacts(
                v.id, f"code-{i % 3}", v.kind, v.rank, v.roles, entry_bit(i % 3 + 1) * (i % 3 < 2)
            )
            for i, v in enumerate(vs)
        ]
    ),
    held=st.lists(st.integers(0, 7), max_size=4),
    kinds=st.frozensets(st.sampled_from(KIND_ORDER), max_size=2),
    codes=st.frozensets(st.sampled_from(("code-0", "code-1", "code-2")), max_size=1),
    min_level=st.none() | st.sampled_from(Level),
)
def test_a_mask_test_is_exact_or_declined(facts, held, kinds, codes, min_level) -> None:
    wanted = matching_versions(facts, kinds=kinds, codes=codes, min_level=min_level)
    if wanted is None:
        return
    mine = [facts[i % len(facts)] for i in held]
    mask = 0
    for v in mine:
        mask |= version_bits(v)
    bits = certificate_bits(facts, wanted)
    if not codes:
        # By kind and level alone the answer is always a mask test.
        assert bits is not None
    elif not kinds and min_level is None and codes <= {"code-0", "code-1"}:
        # Every version of an entry with a bit: its bit, whoever shares its kind.
        assert bits is not None
    if bits is not None:
        assert bool(mask & bits) == any(v.id in wanted for v in mine)


_examples = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    persons=st.lists(
        st.tuples(
            # (role, ended) pairs
            st.lists(st.tuples(st.sampled_from(ROLE_ORDER), st.booleans()), max_size=3),
            # (version index, state, obtained offset, days valid or None)
            st.lists(
                st.tuples(
                    st.integers(0, 5),
                    st.sampled_from(STATES),
                    st.sampled_from((0, 1, 30, 400)),
                    st.none() | st.sampled_from((1, 2, 30, 365, 366)),
                ),
                max_size=4,
            ),
            st.sampled_from(DAYS),
        ),
        min_size=1,
        max_size=6,
    ),
    day=st.sampled_from(DAYS),
)
def test_the_mask_path_finds_what_the_exists_path_finds(data, persons, day) -> None:
    n = next(_examples)
    agency = f"M{n}"
    version_ids = [
        data.version(
            f"m{n}-{i}",
            KIND_ORDER[i % 4],
            LEVEL_TEXTS[i % len(LEVEL_TEXTS)],
            tuple(ROLE_ORDER[: i % 5]),
            # A rank the words do not say, at times: the bits follow the rank.
            rank=levels.LEVEL_CODES[i * 2 % 3],
        )
        for i in range(6)
    ]
    held: dict[str, list[tuple[int, str, date, date | None]]] = {}
    live: dict[str, set[str]] = {}
    for k, (roles, certs, around) in enumerate(persons):
        pid = data.person(f"M{n}-{k}", agency, "U1")
        live[pid] = set()
        for role, ended in dict(roles).items():
            data.role(pid, role, agency, ended=ended)
            if not ended:
                live[pid].add(role)
        held[pid] = []
        for index, state, back, days in certs:
            # Obtained on or before a day near `day`; lapsing on the day itself at times.
            obtained = around - timedelta(days=back)
            lapses = None if days is None else obtained + timedelta(days=days)
            data.certificate(pid, version_ids[index], obtained, lapses, state, agency)
            held[pid].append((version_ids[index], state, obtained, lapses))
    data.commit()
    recount(data.session, list(held), day)
    data.commit()
    facts = {v.id: v for v in catalogue(data.session)}
    rows = {
        r.person_id: r
        for r in data.session.scalars(
            select(TalentPerson).where(col(TalentPerson.agency_code) == agency)
        )
    }
    for pid, certs in held.items():
        row = rows[pid]
        assert row.valid_count_from <= day < row.valid_count_until
        valid = [v for v, s, o, e in certs if valid_on(s, o, e, day)]
        expected = 0
        for v in valid:
            expected |= version_bits(facts[v])
        assert (row.live_roles, row.valid_mask) == (roles_bits(live[pid]), expected)
        for role in ROLE_ORDER:
            supporting = sum(role in facts[v].roles for v in valid)
            assert getattr(row, f"valid_for_{role}") == supporting
            assert getattr(row, f"slot_rank_{role}") == slot_rank(
                roles_bits(live[pid]), expected, supporting, role
            )
    scope = frozenset({agency})
    for kinds, codes, min_level, roles in itertools.product(
        (frozenset(), frozenset({"tool"}), frozenset({"literacy", "project_planning"})),
        # An entry: a bit test while the entries have bits, per certificate after.
        (frozenset(), frozenset({f"m{n}-1"})),
        (None, Level.INTERMEDIATE, Level.ADVANCED),
        (frozenset(), frozenset({"policy"}), frozenset({"application", "research"})),
    ):
        wanted = matching_versions(
            list(facts.values()), kinds=kinds, codes=codes, min_level=min_level
        )
        base = SearchFilter(day=day, year=day.year, agencies=scope, roles=roles, version_ids=wanted)
        by_exists = store.counts_per_agency(data.session, base)
        masked = SearchFilter(
            day=day,
            year=day.year,
            agencies=scope,
            roles=roles,
            version_ids=wanted,
            mask_bits=None if wanted is None else certificate_bits(facts.values(), wanted),
            masks_cover=True,
        )
        assert masked.version_ids is None or masked.mask_bits is not None or codes
        assert store.counts_per_agency(data.session, masked) == by_exists
    by_rows = store.summary_by_certificates(data.session, [agency], day)
    from_masks = store.summary_from_masks(data.session, [agency])
    assert sorted(from_masks[0], key=str) == sorted(by_rows[0], key=str)
    assert sorted(from_masks[1]) == sorted(by_rows[1])
    data.session.rollback()


def _row(certs_app: Any, person_id: str) -> TalentPerson:
    with Session(certs_app.state.engine) as session:
        row = session.get(TalentPerson, person_id)
        assert row is not None
        return row


def test_assigning_and_ending_a_role_rewrite_its_bit(call, known, certs_app) -> None:
    first = assign(call, "development").json()
    assign(call, "policy")
    row = _row(certs_app, PERSON)
    assert row.live_roles == roles_bits({"development", "policy"})
    # Played without a certificate: level 0, none; not played: below everyone.
    assert (row.slot_rank_development, row.slot_rank_policy) == (0, 0)
    assert (row.slot_rank_application, row.slot_rank_research) == (NOT_PLAYED, NOT_PLAYED)
    with Session(certs_app.state.engine) as session:
        assert counts_cover(session, row.valid_count_from)
    ended = call("POST", f"{ROLES}/{first['id']}/end", TALENT_HR_A01, json={"reason": "moved"})
    assert ended.status_code == 200, ended.text
    ended_row = _row(certs_app, PERSON)
    assert ended_row.live_roles == roles_bits({"policy"})
    assert (ended_row.slot_rank_development, ended_row.slot_rank_policy) == (NOT_PLAYED, 0)
    with Session(certs_app.state.engine) as session:
        live = session.scalars(
            select(col(TalentRoleAssignment.role)).where(
                col(TalentRoleAssignment.ended_at).is_(None)
            )
        ).all()
        assert sorted(live) == ["policy"]
