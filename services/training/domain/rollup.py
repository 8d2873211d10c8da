"""An agency's compliance figures over many persons' evaluations.

Shares are met / headcount as Decimal, rounded half-up to 4 places (0.3333 for
1 of 3); with nobody to count a share is 0. A requirement's share is over the
persons it applies to: an agency-only requirement (e.g. information security in
one sub-agency) is not diluted by people who are not held to it.

"How short" a person is (`hours_short`) is the largest single gap among the
compliance requirements: a lower bound on the hours still to take, since one
further course may close several gaps at once but no gap by more than its hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from services.training.domain.evaluation import Evaluation

_ZERO = Decimal(0)
_SHARE_PLACES = Decimal("0.0001")

# A roll-up over several agencies keys each unit by agency and unit, joined by
# this separator; agency codes never contain it.
UNIT_SEP = "/"


def split_unit(key: str) -> tuple[str, str]:
    """(agency, unit) of a roll-up's unit key."""
    agency, _, unit = key.partition(UNIT_SEP)
    return agency, unit


def share(part: int, whole: int) -> Decimal:
    """part / whole rounded half-up to 4 places; 0 when whole is 0."""
    if whole == 0:
        return _ZERO.quantize(_SHARE_PLACES)
    return (Decimal(part) / Decimal(whole)).quantize(_SHARE_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class PersonEvaluation:
    person_id: str
    unit_id: str
    evaluation: Evaluation


@dataclass(frozen=True, slots=True)
class RequirementRate:
    code: str
    applies_to: int  # persons held to this requirement
    met_count: int
    share: Decimal


class Shortfall(NamedTuple):
    # A named tuple: as immutable as a frozen dataclass, and a report may build
    # tens of thousands of them, which a frozen dataclass makes several times slower.
    person_id: str
    unit_id: str
    hours_short: Decimal  # largest gap: at least this many more hours are needed
    gaps: tuple[tuple[str, Decimal], ...]  # unmet compliance requirements and their missing hours


@dataclass(frozen=True, slots=True)
class Tally:
    headcount: int
    compliant_count: int
    compliant_share: Decimal
    ai_target_met_count: int
    ai_completion_rate: Decimal  # AI知能課程學習時數達成率
    requirements: tuple[RequirementRate, ...]


@dataclass(frozen=True, slots=True)
class UnitRollup:
    unit_id: str
    tally: Tally


@dataclass(frozen=True, slots=True)
class AgencyRollup:
    tally: Tally
    shortfalls: tuple[Shortfall, ...]  # non-compliant persons, most hours short first
    units: tuple[UnitRollup, ...]  # ordered by unit id


def _tally(items: list[PersonEvaluation]) -> Tally:
    # Requirement order: first appearance, so it follows the policies' own order.
    applies: dict[str, int] = {}
    met: dict[str, int] = {}
    compliant = 0
    ai_met = 0
    for item in items:
        ev = item.evaluation
        compliant += ev.compliant
        ai_met += ev.ai_target_met
        for res in ev.requirements:
            applies[res.code] = applies.get(res.code, 0) + 1
            met[res.code] = met.get(res.code, 0) + res.met
    headcount = len(items)
    return Tally(
        headcount=headcount,
        compliant_count=compliant,
        compliant_share=share(compliant, headcount),
        ai_target_met_count=ai_met,
        ai_completion_rate=share(ai_met, headcount),
        requirements=tuple(
            RequirementRate(code, n, met[code], share(met[code], n)) for code, n in applies.items()
        ),
    )


def _shortfall(item: PersonEvaluation) -> Shortfall:
    gaps = tuple(
        (res.code, res.missing) for res in item.evaluation.compliance_requirements if not res.met
    )
    return Shortfall(
        person_id=item.person_id,
        unit_id=item.unit_id,
        hours_short=max((missing for _, missing in gaps), default=_ZERO),
        gaps=gaps,
    )


def roll_up(items: Iterable[PersonEvaluation]) -> AgencyRollup:
    """Agency totals, per-unit totals and the list of who is short."""
    people = list(items)
    seen: set[str] = set()
    years = {p.evaluation.year for p in people}
    if len(years) > 1:
        raise ValueError(f"items: evaluations span several years {sorted(years)}")
    for p in people:
        if p.person_id in seen:
            raise ValueError(f"person_id: {p.person_id!r} appears twice")
        seen.add(p.person_id)

    by_unit: dict[str, list[PersonEvaluation]] = {}
    for p in people:
        by_unit.setdefault(p.unit_id, []).append(p)

    shortfalls = sorted(
        (_shortfall(p) for p in people if not p.evaluation.compliant),
        key=lambda s: (-s.hours_short, s.person_id),
    )
    return AgencyRollup(
        tally=_tally(people),
        shortfalls=tuple(shortfalls),
        units=tuple(UnitRollup(unit, _tally(by_unit[unit])) for unit in sorted(by_unit)),
    )
