"""The team proposal is the one a brute-force ranking of everybody gives: the
candidates read level by level with early stopping (store/staffing.py
`slot_candidates`), or from the persons' masks when they cover the day,
against every person of the fixture ranked in Python and
given to the same domain rules, for compositions and filters hypothesis draws."""

# The fixtures imported from staffing_data are redefined as parameters.
# ruff: noqa: F811

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from services.certs.domain import team
from services.certs.domain.levels import level_code
from services.certs.domain.staffing import valid_on
from services.certs.domain.talent import Level
from services.certs.models import TalentPerson
from services.certs.store import staffing as staffing_store
from services.certs.store.person_certificates import counts_cover, recount_uncovered
from tests.certs.staffing_data import STAFF_A01, Data, data  # noqa: F401

ROLES = ("policy", "application", "development", "research")
KINDS = ("literacy", "tool", "project_planning", "project_technical")
LEVELS = ("fundamentals", "intermediate (中級)", "associate", "professional", "advanced")
STATES = ("verified", "verified", "expired", "revoked", "submitted")
DAYS = (date(2025, 12, 31), date(2026, 1, 1), date(2026, 6, 15))


@dataclass
class Version:
    id: int
    code: str
    kind: str
    rank: Level  # drawn apart from the words: the ranking reads the stored rank
    roles: tuple[str, ...]


@dataclass
class Held:
    version: Version
    state: str
    obtained_on: date
    expires_on: date | None


@dataclass
class Person:
    person_id: str
    agency: str
    unit: str
    roles: set[str]
    hours: dict[int, int]
    held: list[Held]


@pytest.fixture
def world(data: Data) -> tuple[list[Version], list[Person]]:
    rng = random.Random(20261204)
    versions = []
    for index in range(10):
        code = f"team-{index:02d}"
        kind, level = KINDS[index % 4], LEVELS[index % len(LEVELS)]
        roles = tuple(sorted(rng.sample(ROLES, rng.randint(1, 3))))
        rank = rng.choice(list(Level))
        stored = data.version(code, kind, level, roles, rank=level_code(rank))
        versions.append(Version(stored, code, kind, rank, roles))
    persons = []
    for n in range(90):
        agency = rng.choice(("A01", "A01", "A01-1", "A02"))
        person = Person(f"T{n:03d}", agency, "U1", set(), {}, [])
        data.person(person.person_id, agency)
        for role in rng.sample(ROLES, rng.randint(0, 2)):
            ended = rng.random() < 0.15
            data.role(person.person_id, role, agency, ended=ended)
            if not ended:
                person.roles.add(role)
        for year in (2025, 2026):
            if rng.random() < 0.7:
                # Few distinct figures, so that ties go down to the person id.
                person.hours[year] = rng.choice((0, 300, 600, 600, 1200, 2500))
                data.hours(person.person_id, year, person.hours[year])
        for _ in range(rng.randint(0, 4)):
            version = rng.choice(versions)
            obtained = rng.choice(DAYS) - timedelta(days=rng.choice((0, 1, 200)))
            expires = rng.choice((None, obtained + timedelta(days=rng.choice((1, 365)))))
            state = rng.choice(STATES)
            data.certificate(person.person_id, version.id, obtained, expires, state, agency)
            person.held.append(Held(version, state, obtained, expires))
        persons.append(person)
    data.commit()
    return versions, persons


def brute_force(world: tuple[list[Version], list[Person]], ask: dict[str, Any]) -> team.Proposal:
    _, persons = world
    day = date.fromisoformat(ask["valid_on"])
    year = day.year
    kinds, codes = set(ask.get("kinds", ())), set(ask.get("catalogue_codes", ()))

    def valid(h: Held) -> bool:
        return valid_on(h.state, h.obtained_on, h.expires_on, day)

    def asked(v: Version) -> bool:
        return (not kinds or v.kind in kinds) and (not codes or v.code in codes)

    pools: dict[str, list[team.Candidate]] = {}
    for role in {s["role"] for s in ask["slots"]}:
        pool = []
        for p in persons:
            if p.agency not in ("A01", "A01-1") or role not in p.roles:
                continue
            if (kinds or codes) and not any(valid(h) and asked(h.version) for h in p.held):
                continue
            if p.hours.get(year, 0) < Decimal(ask.get("min_ai_hours", "0")) * 100:
                continue
            supporting = [
                h for h in p.held if valid(h) and role in h.version.roles and asked(h.version)
            ]
            pool.append(
                team.Candidate(
                    person_id=p.person_id,
                    agency_code=p.agency,
                    unit_id=p.unit,
                    role_certificates=tuple(sorted(h.version.code for h in supporting)),
                    best_level=max((h.version.rank for h in supporting), default=None),
                    ai_centi=p.hours.get(year, 0),
                )
            )
        pools[role] = pool
    return team.propose(
        [team.Slot(s["role"], s["count"]) for s in ask["slots"]],
        pools,
        alternates=ask.get("alternates", 3),
        allow_repeats=ask.get("allow_repeats", False),
    )


def _seen(candidate: dict[str, Any]) -> tuple[Any, ...]:
    return (
        candidate["person_id"],
        sorted(candidate["role_certificates"]),
        candidate["best_level"],
        Decimal(candidate["ai_hours"]),
    )


def _expected(candidate: team.Candidate) -> tuple[Any, ...]:
    level = None if candidate.best_level is None else level_code(Level(candidate.best_level))
    return (
        candidate.person_id,
        list(candidate.role_certificates),
        level,
        Decimal(candidate.ai_centi).scaleb(-2),
    )


asks = st.fixed_dictionaries(
    {
        "slots": st.lists(
            st.fixed_dictionaries(
                {"role": st.sampled_from(ROLES), "count": st.integers(min_value=1, max_value=4)}
            ),
            min_size=1,
            max_size=4,
        ),
        "valid_on": st.sampled_from([d.isoformat() for d in DAYS]),
    },
    optional={
        "alternates": st.integers(min_value=0, max_value=3),
        "allow_repeats": st.booleans(),
        "kinds": st.lists(st.sampled_from(KINDS), min_size=1, max_size=2, unique=True),
        "catalogue_codes": st.lists(
            st.sampled_from([f"team-{i:02d}" for i in range(10)]),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        "min_ai_hours": st.sampled_from(("0", "3", "6", "12")),
    },
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ask=asks, counted=st.booleans(), read_whole=st.sampled_from((0, 1, 2000)))
def test_the_proposal_is_the_brute_force_ranking(
    call, data, world, ask, counted, read_whole
) -> None:
    # Both ways of ranking a slot: from the persons' masks (once recounted for
    # the day) and from their certificates (when some count does not cover it);
    # from the masks, (level, count) pairs read whole or along the hours index.
    with patch.object(staffing_store, "_READ_WHOLE", read_whole):
        day = date.fromisoformat(ask["valid_on"])
        if counted:
            recount_uncovered(data.session, day)
        else:
            data.session.execute(update(TalentPerson).values(valid_count_until=date(1, 1, 1)))
        covered = counts_cover(data.session, day)
        data.commit()
        assert covered is counted
        answer = call("POST", "/staffing/team-proposals", STAFF_A01, json=ask)
        assert answer.status_code == 200, answer.text
        expected = brute_force(world, ask)
        got = answer.json()["slots"]
        assert [
            (
                [_seen(c) for c in s["placed"]],
                [_seen(c) for c in s["alternates"]],
                s["eligible"],
                s["shortfall"],
                s["unfilled_reason"],
                s["fill_order"],
            )
            for s in got
        ] == [
            (
                [_expected(c) for c in s.placed],
                [_expected(c) for c in s.alternates],
                s.eligible,
                s.shortfall,
                s.unfilled_reason,
                s.fill_order,
            )
            for s in expected.slots
        ]
