"""Team proposal: a wanted composition (1 policy, 2 development, …) filled
from ranked candidates, with the reasons for each rank.

Candidates of a slot hold its talent role (assigned by duties). They are
ranked by, in order:

1. the best level of their valid certificates that support the slot's role
   (the catalogue says which roles a certificate supports),
2. how many such certificates they hold,
3. their AI hours of the year,
4. their person id (so that equal candidates always come in the same order).

The learning-path stage is given with each candidate as a reason, not ranked
on: it is itself read from the same certificates and hours.

Slots are filled scarcest first (fewest candidates, then the order asked), so
that a person who could fill a rare slot is not spent on a common one; unless
repeats are allowed, a person placed in one slot is not placed in another.
A slot that cannot be filled says how many it lacks and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from services.certs.domain.levels import level_code
from services.certs.domain.talent import Level


@dataclass(frozen=True, slots=True)
class Slot:
    role: str
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("count: at least 1")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One person as a slot's ranking sees them."""

    person_id: str
    agency_code: str
    unit_id: str
    # Valid certificates supporting the slot's role: catalogue codes.
    role_certificates: tuple[str, ...] = ()
    best_level: Level | None = None
    ai_centi: int = 0
    stage: str = "entry"
    stage_reason: str = ""

    def rank_key(self) -> tuple[int, int, int, str]:
        """Sorted ascending, best first."""
        level = int(self.best_level) if self.best_level is not None else 0
        return (-level, -len(self.role_certificates), -self.ai_centi, self.person_id)

    def reasons(self, role: str, year: int) -> list[str]:
        hours = Decimal(self.ai_centi).scaleb(-2)
        if self.role_certificates:
            held = (
                f"{len(self.role_certificates)} valid certificate(s) supporting {role}: "
                + ", ".join(self.role_certificates)
            )
            level = f"best level {level_code(self.best_level or Level.BASIC)}"
        else:
            held = f"no valid certificate supporting {role}"
            level = "no certificate level"
        return [held, level, f"{hours:.2f} AI hours in {year}", f"stage {self.stage}"]


def rank(candidates: Sequence[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=Candidate.rank_key)


@dataclass(frozen=True, slots=True)
class SlotResult:
    index: int  # the slot's place in the composition asked
    slot: Slot
    placed: tuple[Candidate, ...]
    alternates: tuple[Candidate, ...]
    eligible: int  # candidates holding the role and meeting the filters
    shortfall: int = 0
    unfilled_reason: str | None = None
    fill_order: int = 0


@dataclass(frozen=True, slots=True)
class Proposal:
    slots: tuple[SlotResult, ...]
    complete: bool
    placed_persons: frozenset[str] = field(default_factory=frozenset)


def propose(
    slots: Sequence[Slot],
    pools: Mapping[str, Sequence[Candidate]],
    *,
    alternates: int = 3,
    allow_repeats: bool = False,
    eligible: Mapping[str, int] | None = None,
) -> Proposal:
    """Fill `slots` from `pools` (each role's candidates, any order).

    A pool may be only a role's best candidates (`needed_per_role` says how many
    suffice); `eligible` then gives each role's whole count, which decides which
    slot is scarcest."""
    ranked = {role: rank(pool) for role, pool in pools.items()}
    sizes = {role: len(pool) for role, pool in ranked.items()}
    sizes.update(eligible or {})
    order = sorted(range(len(slots)), key=lambda i: (sizes.get(slots[i].role, 0), i))
    placed: set[str] = set()
    results: dict[int, SlotResult] = {}
    for fill_order, index in enumerate(order):
        slot = slots[index]
        pool = ranked.get(slot.role, [])
        free = [c for c in pool if allow_repeats or c.person_id not in placed]
        chosen = free[: slot.count]
        shortfall = slot.count - len(chosen)
        taken = len(pool) - len(free)
        reason = None
        if shortfall:
            # A pool is short only when it is whole, so these counts are exact.
            reason = (
                f"{len(chosen)} of {slot.count} {slot.role} found: {len(pool)} person(s) "
                f"hold the role and meet the filters"
                + (f", {taken} of them placed in other slots" if taken else "")
            )
        placed.update(c.person_id for c in chosen)
        results[index] = SlotResult(
            index=index,
            slot=slot,
            placed=tuple(chosen),
            alternates=tuple(free[slot.count : slot.count + alternates]),
            eligible=sizes.get(slot.role, 0),
            shortfall=shortfall,
            unfilled_reason=reason,
            fill_order=fill_order,
        )
    ordered = tuple(results[i] for i in range(len(slots)))
    return Proposal(
        slots=ordered,
        complete=all(r.shortfall == 0 for r in ordered),
        placed_persons=frozenset(placed),
    )


def needed_per_role(slots: Sequence[Slot], alternates: int) -> dict[str, int]:
    """How many of each role's best candidates can matter: every seat of every
    slot could take one of them before this role's own slots are filled, and
    each of its slots lists `alternates` more. Fetching this many ranked
    candidates per role gives the same proposal as ranking them all."""
    seats = sum(s.count for s in slots)
    roles = {s.role for s in slots}
    return {role: seats + alternates * sum(1 for s in slots if s.role == role) for role in roles}
