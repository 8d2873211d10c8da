"""One person's yearly learning-hour compliance, evaluated as of a Taipei day.

Counting rules:
- A record belongs to the year of its completion day in Asia/Taipei (23:30 on
  31 Dec Taipei is still that year; 00:30 on 1 Jan Taipei, though 31 Dec in UTC,
  is the next). A bare date is taken as a Taipei day.
- It counts when that day is on or before both the policy cut-off and `as_of`.
  Same-year records after the cut-off are reported as `after_cutoff_hours` and
  count toward nothing; records after `as_of` have not happened yet as of that day.
- Withdrawn records never count. A correction is the old record withdrawn plus a
  new one; negative hours are refused rather than used as corrections.
- Multiple tags: a record's hours count once toward the total, and in full toward
  every requirement whose topic set it touches (a gender-mainstreaming course
  serves both its own 1 h and the democratic-values 5 h; an ai_basic course serves
  the AI minimum and the basic target). A course tagged both AI levels counts as
  advanced only, so 3 + 3 stays 6 distinct hours.
- `category` and `is_digital` do not affect compliance; digital hours are
  reported because agencies track the digital share.
- Thresholds are inclusive: exactly the required hours meets a requirement.

Projection: pace = hours counted so far / days from 1 Jan to `as_of` inclusive;
projected = pace x days from 1 Jan to the cut-off. On or after the cut-off the
projection is the actual figure; before 1 Jan there is no pace and it is too.
`on_track` compares exactly; `projected` is rounded half-up to 0.01 for display.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.common.timeutil import taipei_date
from services.training.domain.policy import (
    AI_ADVANCED_TARGET,
    AI_BASIC_TARGET,
    AI_MINIMUM,
    TOTAL,
    RequirementPolicy,
)
from services.training.domain.topics import Topic

_ZERO = Decimal(0)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class LearningRecord:
    hours: Decimal
    completed: datetime | date  # aware datetime, or a Taipei calendar day
    topics: frozenset[Topic] = frozenset()
    category: str = ""
    is_digital: bool = False
    withdrawn: bool = False
    day: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.hours, Decimal):
            raise TypeError(f"hours: must be a Decimal, got {type(self.hours).__name__}")
        if not self.hours.is_finite() or self.hours < 0:
            raise ValueError(f"hours: must be finite and not negative, got {self.hours}")
        # datetime is a date subclass, so test it first; naive datetimes are refused.
        if isinstance(self.completed, datetime):
            day = taipei_date(self.completed)
        elif isinstance(self.completed, date):
            day = self.completed
        else:
            raise TypeError("completed: must be an aware datetime or a date")
        object.__setattr__(self, "topics", frozenset(self.topics))
        object.__setattr__(self, "day", day)


class RequirementKind(StrEnum):
    TOTAL = "total"
    MANDATORY = "mandatory"
    AI_MINIMUM = "ai_minimum"
    AI_TARGET = "ai_target"


@dataclass(frozen=True, slots=True)
class RequirementResult:
    code: str
    kind: RequirementKind
    required: Decimal
    completed: Decimal
    missing: Decimal  # max(0, required - completed)
    met: bool
    projected: Decimal  # hours expected by the cut-off at the current pace
    on_track: bool


@dataclass(frozen=True, slots=True)
class Evaluation:
    year: int
    as_of: date
    cutoff: date
    policy_version: str
    total: RequirementResult
    mandatory: tuple[RequirementResult, ...]
    ai_minimum: RequirementResult
    ai_basic_target: RequirementResult
    ai_advanced_target: RequirementResult
    compliant: bool  # total, every mandatory topic and the AI minimum met
    ai_target_met: bool  # basic and advanced targets both met (績效考核 達成率)
    projected_compliant: bool  # every compliance requirement on track by the cut-off
    projected_ai_target_met: bool
    counted_hours: Decimal
    counted_records: int
    digital_hours: Decimal
    after_cutoff_hours: Decimal

    @property
    def compliance_requirements(self) -> tuple[RequirementResult, ...]:
        return (self.total, *self.mandatory, self.ai_minimum)

    @property
    def requirements(self) -> tuple[RequirementResult, ...]:
        return (*self.compliance_requirements, self.ai_basic_target, self.ai_advanced_target)

    def result(self, code: str) -> RequirementResult:
        for res in self.requirements:
            if res.code == code:
                return res
        raise KeyError(code)


def _result(
    code: str,
    kind: RequirementKind,
    required: Decimal,
    completed: Decimal,
    span: tuple[int, int] | None,
) -> RequirementResult:
    if span is None:
        projected, on_track = completed, completed >= required
    else:
        elapsed, whole = span
        # Cross-multiplied so the decision is exact, whatever the display rounding.
        on_track = completed * whole >= required * elapsed
        projected = (completed * whole / elapsed).quantize(_CENT, ROUND_HALF_UP)
    return RequirementResult(
        code=code,
        kind=kind,
        required=required,
        completed=completed,
        missing=max(_ZERO, required - completed),
        met=completed >= required,
        projected=projected,
        on_track=on_track,
    )


def evaluate(
    records: Iterable[LearningRecord], policy: RequirementPolicy, as_of: date
) -> Evaluation:
    """Evaluate one person's records for `policy.year` as of the Taipei day `as_of`."""
    if isinstance(as_of, datetime):
        as_of = taipei_date(as_of)
    year = policy.year
    cutoff = policy.cutoff_date

    # Sum by distinct tag set first: people repeat a handful of tag sets, so the
    # requirement checks run per set, not per record.
    by_tags: dict[frozenset[Topic], Decimal] = {}
    counted = _ZERO
    count = 0
    digital = _ZERO
    after_cutoff = _ZERO
    for rec in records:
        if rec.withdrawn or rec.day.year != year or rec.day > as_of:
            continue
        if rec.day > cutoff:
            after_cutoff += rec.hours
            continue
        counted += rec.hours
        count += 1
        if rec.is_digital:
            digital += rec.hours
        by_tags[rec.topics] = by_tags.get(rec.topics, _ZERO) + rec.hours

    reqs = policy.all_topic_requirements
    sums = [_ZERO] * len(reqs)
    for tags, hours in by_tags.items():
        for i, req in enumerate(reqs):
            if req.counts(tags):
                sums[i] += hours

    jan1 = date(year, 1, 1)
    span: tuple[int, int] | None = None
    if jan1 <= as_of < cutoff:
        span = ((as_of - jan1).days + 1, (cutoff - jan1).days + 1)

    by_code = {req.code: (req, done) for req, done in zip(reqs, sums, strict=True)}
    total = _result(TOTAL, RequirementKind.TOTAL, policy.total_hours, counted, span)
    mandatory = tuple(
        _result(req.code, RequirementKind.MANDATORY, req.minimum_hours, done, span)
        for req, done in zip(reqs[: len(policy.topic_requirements)], sums, strict=False)
    )

    def ai(code: str, kind: RequirementKind) -> RequirementResult:
        req, done = by_code[code]
        return _result(code, kind, req.minimum_hours, done, span)

    ai_min = ai(AI_MINIMUM, RequirementKind.AI_MINIMUM)
    basic = ai(AI_BASIC_TARGET, RequirementKind.AI_TARGET)
    advanced = ai(AI_ADVANCED_TARGET, RequirementKind.AI_TARGET)
    compliance = (total, *mandatory, ai_min)
    return Evaluation(
        year=year,
        as_of=as_of,
        cutoff=cutoff,
        policy_version=policy.version,
        total=total,
        mandatory=mandatory,
        ai_minimum=ai_min,
        ai_basic_target=basic,
        ai_advanced_target=advanced,
        compliant=all(r.met for r in compliance),
        ai_target_met=basic.met and advanced.met,
        projected_compliant=all(r.on_track for r in compliance),
        projected_ai_target_met=basic.on_track and advanced.on_track,
        counted_hours=counted,
        counted_records=count,
        digital_hours=digital,
        after_cutoff_hours=after_cutoff,
    )
