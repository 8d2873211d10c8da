"""The staffing search narrows exactly as a brute-force filter over the same
fixture does, for each filter and any combination of them (hypothesis draws the
filters; the fixture is drawn once, with dates around Feb 29 and year ends)."""

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

from services.certs.domain.talent import Level
from services.certs.models import TalentPerson
from services.certs.store import staffing as staffing_store
from services.certs.store.person_certificates import counts_cover, recount_uncovered
from tests.certs.staffing_data import STAFF_A01, Data, data  # noqa: F401

AGENCIES = ("A01", "A01-1", "A02")  # A02 is outside STAFF_A01's scope
UNITS = ("U1", "U2", "")
ROLES = ("policy", "application", "development", "research")
KINDS = ("literacy", "tool", "project_planning", "project_technical")
STATES = ("submitted", "verified", "expired", "revoked", "rejected")
LEVELS = ("fundamentals", "intermediate (中級)", "associate", "professional", "core (no coding)")
# Each version's stored rank is drawn apart from its words: the search reads the rank.
RANKS = ("basic", "intermediate", "advanced")
DAYS = (
    date(2024, 2, 28),
    date(2024, 2, 29),
    date(2024, 3, 1),
    date(2025, 12, 31),
    date(2026, 1, 1),
    date(2026, 6, 15),
)


@dataclass
class Cert:
    version: int
    code: str
    kind: str
    rank: Level
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
    certs: list[Cert]


@pytest.fixture
def world(data: Data) -> list[Person]:
    rng = random.Random(20261203)
    versions = []
    for index in range(8):
        kind, level, drawn = KINDS[index % 4], LEVELS[index % len(LEVELS)], rng.choice(RANKS)
        code = f"entry-{index:02d}"
        stored = data.version(code, kind, level, rank=drawn)
        versions.append((stored, code, kind, Level[drawn.upper()]))
    persons = []
    for n in range(60):
        person = Person(
            person_id=f"P{n:03d}",
            agency=rng.choice(AGENCIES),
            unit=rng.choice(UNITS),
            roles=set(),
            hours={},
            certs=[],
        )
        data.person(person.person_id, person.agency, person.unit)
        for role in rng.sample(ROLES, rng.randint(0, 2)):
            ended = rng.random() < 0.2
            data.role(person.person_id, role, person.agency, ended=ended)
            if not ended:
                person.roles.add(role)
        for year in (2024, 2025, 2026):
            if rng.random() < 0.6:
                centi = rng.choice((0, 100, 599, 600, 601, 1200, rng.randint(0, 3000)))
                person.hours[year] = centi
                data.hours(person.person_id, year, centi)
        for _ in range(rng.randint(0, 3)):
            version, code, kind, rank = rng.choice(versions)
            obtained = rng.choice(DAYS) - timedelta(days=rng.choice((0, 1, 30, 400)))
            expires = rng.choice((None, obtained + timedelta(days=rng.choice((1, 365, 366, 700)))))
            state = rng.choice(STATES)
            data.certificate(person.person_id, version, obtained, expires, state, person.agency)
            person.certs.append(Cert(version, code, kind, rank, state, obtained, expires))
        persons.append(person)
    data.commit()
    return persons


def valid(cert: Cert, day: date) -> bool:
    if cert.state not in ("verified", "expired"):
        return False
    return cert.obtained_on <= day and (cert.expires_on is None or day < cert.expires_on)


def brute_force(world: list[Person], ask: dict[str, Any]) -> list[Person]:
    day = ask["valid_on"]
    year = ask.get("year") or day.year
    out = []
    for p in world:
        if p.agency not in ("A01", "A01-1"):
            continue
        if "agency_code" in ask and p.agency != ask["agency_code"]:
            continue
        if "unit_id" in ask and p.unit != ask["unit_id"]:
            continue
        if "role" in ask and not p.roles & set(ask["role"]):
            continue
        wants_cert = any(k in ask for k in ("kind", "catalogue_code", "min_level"))
        if wants_cert and not any(
            valid(c, day)
            and ("kind" not in ask or c.kind in ask["kind"])
            and ("catalogue_code" not in ask or c.code in ask["catalogue_code"])
            and ("min_level" not in ask or c.rank >= Level[ask["min_level"].upper()])
            for c in p.certs
        ):
            continue
        if "min_ai_hours" in ask and Decimal(p.hours.get(year, 0)) < ask["min_ai_hours"] * 100:
            continue
        out.append(p)
    return out


filters = st.fixed_dictionaries(
    {"valid_on": st.sampled_from(DAYS)},
    optional={
        "year": st.sampled_from((2024, 2025, 2026)),
        "agency_code": st.sampled_from(("A01", "A01-1")),
        "unit_id": st.sampled_from(("U1", "U2")),
        "role": st.lists(st.sampled_from(ROLES), min_size=1, max_size=2, unique=True),
        "kind": st.lists(st.sampled_from(KINDS), min_size=1, max_size=2, unique=True),
        "catalogue_code": st.lists(
            st.sampled_from([f"entry-{i:02d}" for i in range(8)]),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        "min_level": st.sampled_from(("basic", "intermediate", "advanced")),
        "min_ai_hours": st.sampled_from(
            (Decimal(0), Decimal("1"), Decimal("5.99"), Decimal(6), Decimal(12))
        ),
    },
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    ask=filters,
    sort=st.sampled_from(("ai_hours", "certificates", "person_id")),
    counted=st.booleans(),
    sort_few=st.sampled_from((0, 8000)),
)
def test_search_matches_a_brute_force_filter(
    call, data, world, ask, sort, counted, sort_few
) -> None:
    # Both ways of sorting by certificates: from the maintained counts (once
    # recounted for the day) and by counting (when some count does not cover it);
    # both ways of sorting by hours (the persons found sorted, or the hours
    # walked in order).
    with (
        patch.object(staffing_store, "_SORT_FEW", sort_few),
        patch.object(staffing_store, "_SORT_FEW_SQLITE", sort_few),
        patch.object(staffing_store, "_READ_FOUND", sort_few),
    ):
        _search_matches_a_brute_force_filter(call, data, world, ask, sort, counted)


def _search_matches_a_brute_force_filter(call, data, world, ask, sort, counted) -> None:
    day = ask["valid_on"]
    if counted:
        recount_uncovered(data.session, day)
    else:
        data.session.execute(update(TalentPerson).values(valid_count_until=date(1, 1, 1)))
    covered = counts_cover(data.session, day)
    data.commit()
    assert covered is counted
    params = {
        k: (v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, Decimal) else v)
        for k, v in ask.items()
    }
    body = call(
        "GET", "/staffing/persons", STAFF_A01, params={**params, "sort": sort, "limit": 500}
    ).json()
    expected = brute_force(world, ask)
    year = ask.get("year") or day.year
    if sort == "person_id":
        key = lambda p: p.person_id  # noqa: E731
    elif sort == "ai_hours":
        key = lambda p: (-p.hours.get(year, 0), p.person_id)  # noqa: E731
    else:
        key = lambda p: (-sum(valid(c, day) for c in p.certs), p.person_id)  # noqa: E731
    assert [r["person_id"] for r in body["items"]] == [
        p.person_id for p in sorted(expected, key=key)
    ]
    if "unit_id" in ask:
        # Page by page, each page continuing from the last one's key.
        paged: list[str] = []
        cursor = None
        for _ in range(len(expected) + 1):
            page = call(
                "GET",
                "/staffing/persons",
                STAFF_A01,
                params={
                    **params,
                    "sort": sort,
                    "limit": 2,
                    **({"cursor": cursor} if cursor else {}),
                },
            ).json()
            paged += [r["person_id"] for r in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == [r["person_id"] for r in body["items"]]
    assert body["total"] == len(expected)
    counts: dict[str, int] = {}
    for p in expected:
        counts[p.agency] = counts.get(p.agency, 0) + 1
    assert body["agency_counts"] == [
        {"agency_code": a, "persons": n} for a, n in sorted(counts.items())
    ]
    by_id = {p.person_id: p for p in expected}
    for row in body["items"]:
        person = by_id[row["person_id"]]
        assert sorted(row["roles"]) == sorted(person.roles)
        assert Decimal(row["ai_hours"]) * 100 == person.hours.get(year, 0)
        assert len(row["certificates"]) == sum(valid(c, day) for c in person.certs)
