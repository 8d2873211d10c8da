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
    # The version's stored rank (`level_rank`), not its words.
    rank: Level
    roles: tuple[str, ...] = ()
    # Its catalogue entry's bit of `valid_mask` (`entry_bit`; 0: none).
    entry_bit: int = 0


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
        and (min_level is None or v.rank >= min_level)
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
    # Set when the masks cover the day: the certificate condition as bits of
    # `valid_mask` (None: ask per certificate, see `certificate_bits`).
    mask_bits: int | None = None
    masks_cover: bool = False
    # Set when `year` is the latest year of any person's hours (or later): the
    # hours condition is then a test of the hours copied on each person's row.
    hours_copied: bool = False


# ------------------------------------------------ the masks of `talent_persons`
#
# What a search tests of a person, kept on the person's row beside the count of
# valid certificates (store/person_certificates.py) so that a scope's counts are
# one pass over its rows: `live_roles` has a bit per live role; `valid_mask` a
# bit per (kind, level) of the certificates valid over the count's span (bits
# 0-11), per (supported role, level) (bits 12-23) and per catalogue entry, for
# the first 39 entries (bits 24-62; bit 63 is the sign of a BIGINT). A version's
# bits never change: a catalogue version is never rewritten, and an entry keeps
# its id.

KIND_ORDER = ("literacy", "tool", "project_planning", "project_technical")
ROLE_ORDER = ("policy", "application", "development", "research")
_LEVELS = len(Level)
ROLE_LEVEL_BASE = len(KIND_ORDER) * _LEVELS


ENTRY_BIT_BASE = ROLE_LEVEL_BASE + len(ROLE_ORDER) * _LEVELS
ENTRY_BITS = 63 - ENTRY_BIT_BASE


def entry_bit(entry_id: int) -> int:
    """The bit of catalogue entry `entry_id` in `valid_mask`, 0 for none.

    Taken from the entry's id, which is never reused (an entry is retired, never
    deleted): no allocation to race over. The catalogue names a few dozen
    certificates; a filter on an entry past the 39th asks per certificate."""
    if 1 <= entry_id <= ENTRY_BITS:
        return 1 << (ENTRY_BIT_BASE + entry_id - 1)
    return 0


def role_bit(role: str) -> int:
    return 1 << ROLE_ORDER.index(role)


def roles_bits(roles: Iterable[str]) -> int:
    out = 0
    for role in roles:
        out |= role_bit(role)
    return out


def kind_level_bit(kind: str, level: Level) -> int:
    return 1 << (KIND_ORDER.index(kind) * _LEVELS + int(level) - 1)


def role_level_bit(role: str, level: Level) -> int:
    return 1 << (ROLE_LEVEL_BASE + ROLE_ORDER.index(role) * _LEVELS + int(level) - 1)


# A team slot ranks a role's holders by the best level of a certificate
# supporting the role, then by how many such certificates are valid, then by AI
# hours (domain/team.py). The first two are kept on the row as one number a
# role, `slot_rank_<role>`, indexed so that a slot reads its best holders in
# order: best level times 2**32 plus how many (a count never reaches 2**32),
# and NOT_PLAYED when the person does not hold the role.
SLOT_RANK_SHIFT = 32
NOT_PLAYED = -1


def slot_rank(live_roles: int, valid_mask: int, valid_for: int, role: str) -> int:
    """The `slot_rank_<role>` of a row with these masks and `valid_for_<role>`."""
    if not live_roles & role_bit(role):
        return NOT_PLAYED
    best = best_level_in(valid_mask, role)
    return ((int(best) if best else 0) << SLOT_RANK_SHIFT) + valid_for


def slot_rank_parts(rank: int) -> tuple[int, int]:
    """(best level, how many) of a played role's `slot_rank`."""
    return rank >> SLOT_RANK_SHIFT, rank & ((1 << SLOT_RANK_SHIFT) - 1)


def version_bits(v: VersionFacts) -> int:
    """The bits a valid certificate of `v` sets in its holder's `valid_mask`."""
    out = kind_level_bit(v.kind, v.rank) if v.kind in KIND_ORDER else 0
    out |= v.entry_bit
    for role in v.roles:
        if role in ROLE_ORDER:
            out |= role_level_bit(role, v.rank)
    return out


def certificate_bits(versions: Iterable[VersionFacts], version_ids: frozenset[int]) -> int | None:
    """Bits B such that "holds a certificate of one of `version_ids` valid on the
    day" is exactly `valid_mask & B != 0` (on a day the masks cover); None when
    no such B exists, and the search asks per certificate.

    Each version asked gives its (kind, level) bit when no version left out
    shares it (a filter by kind or level), or else its entry's bit when every
    version of the entry is asked (a filter by entry, beside another entry of
    the same kind and level); with neither, None."""
    facts = list(versions)
    left_out = 0
    for v in facts:
        if v.id not in version_ids:
            left_out |= version_bits(v)
    bits = 0
    for v in facts:
        if v.id not in version_ids:
            continue
        kind = kind_level_bit(v.kind, v.rank) if v.kind in KIND_ORDER else 0
        if kind and not kind & left_out:
            bits |= kind
        elif v.entry_bit and not v.entry_bit & left_out:
            bits |= v.entry_bit
        else:
            return None
    return bits


def best_level_in(mask: int, role: str) -> Level | None:
    """The best level of the certificates supporting `role` a mask records."""
    for level in sorted(Level, reverse=True):
        if mask & role_level_bit(role, level):
            return level
    return None
