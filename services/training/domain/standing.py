"""An agency roll-up from hours already summed per requirement.

An agency report covers up to 100,000 persons. Building each one's full
`Evaluation` (projections, a result object per requirement) costs more than the
database query that adds their hours up, so the report takes this path instead:
for each person, the hours that count toward each requirement of their policy,
summed by the database in hundredths of an hour, in, and the same `AgencyRollup`
that `roll_up` gives over `evaluate`, out: the same met/unmet decisions
(thresholds inclusive), the same gaps, shares and orderings. `evaluate` stays the
reference, and the tests hold the two paths to the same figures.

Hours are in hundredths because records carry at most two decimals, and whole
numbers compare far faster than Decimals over a hundred thousand persons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter, ge

from services.training.domain.policy import TOTAL, RequirementPolicy, TopicRequirement
from services.training.domain.rollup import (
    AgencyRollup,
    RequirementRate,
    Shortfall,
    Tally,
    UnitRollup,
    share,
)

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Threshold:
    code: str
    required: Decimal
    # None for the total, which every counted hour serves.
    requirement: TopicRequirement | None


def _hundredths(hours: Decimal) -> int | Decimal:
    scaled = hours * 100
    # A threshold finer than a hundredth stays a Decimal: int >= Decimal is exact.
    return int(scaled) if scaled == scaled.to_integral_value() else scaled


class PolicyThresholds:
    """A policy's requirements in the order of `Evaluation.requirements`: the total,
    the mandatory topics, the AI minimum, then the AI basic and advanced targets."""

    __slots__ = ("_missing", "_unmet", "compliance", "policy", "required", "thresholds")

    def __init__(self, policy: RequirementPolicy) -> None:
        self.policy = policy
        self.thresholds: tuple[Threshold, ...] = (
            Threshold(TOTAL, policy.total_hours, None),
            *(Threshold(r.code, r.minimum_hours, r) for r in policy.all_topic_requirements),
        )
        # The total, every mandatory topic and the AI minimum decide compliance.
        self.compliance = len(policy.topic_requirements) + 2
        self.required = tuple(_hundredths(t.required) for t in self.thresholds)
        # Met flags repeat across persons, and so do sums: what follows from them
        # is worked out once per distinct value.
        self._unmet: dict[tuple[bool, ...], tuple[int, ...]] = {}
        self._missing: dict[tuple[int, int], tuple[str, Decimal]] = {}

    def flags(self, hundredths: Sequence[int]) -> tuple[bool, ...]:
        """Which requirements are met, given the hours counted toward each."""
        return tuple(map(ge, hundredths, self.required))

    def unmet(self, flags: tuple[bool, ...]) -> tuple[int, ...]:
        """The positions of the unmet compliance requirements: none when compliant."""
        known = self._unmet.get(flags)
        if known is None:
            known = self._unmet[flags] = tuple(i for i in range(self.compliance) if not flags[i])
        return known

    @staticmethod
    def ai_target_met(flags: tuple[bool, ...]) -> bool:
        return flags[-2] and flags[-1]

    def gaps(
        self, hundredths: Sequence[int], unmet: tuple[int, ...]
    ) -> tuple[tuple[str, Decimal], ...]:
        """The unmet compliance requirements and the hours each still misses, as
        `evaluate` gives them (`required - completed`, in the same Decimal form)."""
        out = []
        for i in unmet:
            key = (i, hundredths[i])
            gap = self._missing.get(key)
            if gap is None:
                threshold = self.thresholds[i]
                missing = max(_ZERO, threshold.required - _hours(hundredths[i]))
                gap = self._missing[key] = (threshold.code, missing)
            out.append(gap)
        return tuple(out)


def _hours(hundredths: int) -> Decimal:
    # `evaluate` starts each sum at Decimal(0) and adds two-decimal hours, so a sum
    # is 0 when no record counted and has two decimals otherwise. Stored records
    # always have more than 0 hours, so 0 hundredths means that none counted.
    return Decimal(hundredths).scaleb(-2) if hundredths else _ZERO


class StandingRollup:
    """Persons added one by one, with the hours counted toward each requirement of
    their policy; `result` gives the roll-up. Each person is added once."""

    def __init__(self) -> None:
        # (unit, policy, met flags) -> persons: a unit's tally needs only the counts.
        self._groups: dict[tuple[str, PolicyThresholds, tuple[bool, ...]], int] = {}
        self._shortfalls: list[Shortfall] = []

    def add(
        self, person_id: str, unit_id: str, rules: PolicyThresholds, hundredths: Sequence[int]
    ) -> None:
        flags = tuple(map(ge, hundredths, rules.required))
        key = (unit_id, rules, flags)
        groups = self._groups
        groups[key] = groups.get(key, 0) + 1
        unmet = rules.unmet(flags)
        if unmet:
            gaps = rules.gaps(hundredths, unmet)
            # Positional: this runs for every person short, tens of thousands of times.
            self._shortfalls.append(
                Shortfall(person_id, unit_id, max([missing for _, missing in gaps]), gaps)
            )

    def result(self) -> AgencyRollup:
        by_unit: dict[str, list[tuple[PolicyThresholds, tuple[bool, ...], int]]] = {}
        for (unit, rules, flags), count in self._groups.items():
            by_unit.setdefault(unit, []).append((rules, flags, count))
        units = sorted(by_unit)
        # Most hours short first, then by person: two stable sorts on plain keys
        # cost a fraction of one sort on a built (-hours, person) key.
        shortfalls = sorted(self._shortfalls, key=attrgetter("person_id"))
        shortfalls.sort(key=attrgetter("hours_short"), reverse=True)
        unit_tallies = tuple(UnitRollup(unit, _tally(by_unit[unit])) for unit in units)
        return AgencyRollup(
            # The agency's counts are its units' added up: no second pass over persons.
            tally=_merged(u.tally for u in unit_tallies),
            shortfalls=tuple(shortfalls),
            units=unit_tallies,
        )


def _merged(tallies: Iterable[Tally]) -> Tally:
    """The tally of the persons of several tallies together. Requirement order:
    first appearance, tally by tally, as `_tally` gives it over their entries."""
    applies: dict[str, int] = {}
    met: dict[str, int] = {}
    headcount = compliant = ai_met = 0
    for tally in tallies:
        headcount += tally.headcount
        compliant += tally.compliant_count
        ai_met += tally.ai_target_met_count
        for rate in tally.requirements:
            applies[rate.code] = applies.get(rate.code, 0) + rate.applies_to
            met[rate.code] = met.get(rate.code, 0) + rate.met_count
    return _tally_of(headcount, compliant, ai_met, applies, met)


def _tally(entries: Iterable[tuple[PolicyThresholds, tuple[bool, ...], int]]) -> Tally:
    # Counted per policy first (a unit has one or two), then per requirement code.
    # Requirement order: first appearance (units in order), as `roll_up` gives it over
    # persons listed unit by unit.
    per_rules: dict[PolicyThresholds, list[int]] = {}
    for rules, flags, count in entries:
        acc = per_rules.get(rules)
        if acc is None:
            # headcount, compliant, AI target met, then met per threshold
            acc = per_rules[rules] = [0] * (3 + len(flags))
        acc[0] += count
        if not rules.unmet(flags):
            acc[1] += count
        if rules.ai_target_met(flags):
            acc[2] += count
        for i, flag in enumerate(flags, 3):
            if flag:
                acc[i] += count
    applies: dict[str, int] = {}
    met: dict[str, int] = {}
    headcount = compliant = ai_met = 0
    for rules, acc in per_rules.items():
        headcount += acc[0]
        compliant += acc[1]
        ai_met += acc[2]
        for threshold, done in zip(rules.thresholds, acc[3:], strict=True):
            applies[threshold.code] = applies.get(threshold.code, 0) + acc[0]
            met[threshold.code] = met.get(threshold.code, 0) + done
    return _tally_of(headcount, compliant, ai_met, applies, met)


def _tally_of(
    headcount: int, compliant: int, ai_met: int, applies: dict[str, int], met: dict[str, int]
) -> Tally:
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
