"""Staffing search (盤點並調度內部AI戰力): what a search asks, as plain data.

The certificate part of a search (kind, catalogue entry, level at least) is
read against the catalogue, which is small, and becomes the set of catalogue
versions a certificate must be registered against; the store then asks only
"a certificate of one of these versions, valid on the day". A certificate is
valid on a day when it was verified (state verified, or expired since) and the
day lies from the day obtained up to the day before `expires_on` (its lapse
day; no `expires_on`: it does not lapse). A revoked or rejected certificate, or
one still waiting for verification, never counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.certs.domain.levels import level_of
from services.certs.domain.talent import Level

# The states in which a certificate was verified at some point and not withdrawn.
COUNTED_STATES = ("verified", "expired")


class SortKey(StrEnum):
    """How a search's rows are ordered; ties always go by person id."""

    AI_HOURS = "ai_hours"  # most AI hours of the year first
    CERTIFICATES = "certificates"  # most certificates valid on the day first
    PERSON_ID = "person_id"


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """What the search reads of one catalogue version."""

    id: int
    code: str
    kind: str
    level: str
    roles: tuple[str, ...] = ()

    @property
    def level_order(self) -> Level:
        return level_of(self.level)


def matching_versions(
    versions: Iterable[VersionFacts],
    *,
    kinds: frozenset[str] = frozenset(),
    codes: frozenset[str] = frozenset(),
    min_level: Level | None = None,
    role: str | None = None,
) -> frozenset[int] | None:
    """The versions a certificate must be of to meet the certificate filters given
    (each one given must hold); None when no certificate filter is given."""
    if not kinds and not codes and min_level is None and role is None:
        return None
    return frozenset(
        v.id
        for v in versions
        if (not kinds or v.kind in kinds)
        and (not codes or v.code in codes)
        and (min_level is None or v.level_order >= min_level)
        and (role is None or role in v.roles)
    )


def valid_on(state: str, obtained_on: date, expires_on: date | None, day: date) -> bool:
    """The rule of the module docstring, for one certificate (the store writes
    the same in SQL; the property tests hold one against the other)."""
    if state not in COUNTED_STATES or obtained_on > day:
        return False
    return expires_on is None or day < expires_on


def last_valid_day(expires_on: date | None) -> date | None:
    """`expires_on` is the day a certificate lapses; it is valid through the day before."""
    return None if expires_on is None else expires_on - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """One search, resolved: the agencies and versions are sets, not names."""

    day: date
    year: int
    # None: every agency (an unscoped reader with no agency asked).
    agencies: frozenset[str] | None = None
    unit_id: str | None = None
    roles: frozenset[str] = frozenset()
    # None: no certificate condition; empty: no certificate can meet it.
    version_ids: frozenset[int] | None = None
    min_ai_centi: int | None = None
