"""AI talent (AI公務人才): the four roles, and the learning-path stage as rules written as data.

Seed 001 (the June 2026 HR Q&A) and domain §2–§3:
- Roles are assigned by actual duties, not by job series or grade, and a person
  may hold more than one: policy (政策人才, plans and supervises AI adoption and
  procurement), application (應用人才, uses AI tools: most general
  administrative staff), development (開發人才, builds: low-code to pro-code),
  research (研究人才, governance and law).
- Each role has a learning path through the eight course modules, in three
  stages: entry (入門) → advanced (進階) → hands-on (實作). Certificates are of
  four kinds: literacy (素養類), tool (工具類), project planning (專案規劃類) and
  project technical (專案技術類).

Which stage a person has reached is decided by `STAGE_RULES`, a tuple of rows
read top to bottom: the first row whose every condition holds gives the stage
and its reason. A row may ask for AI hours of the year (in total, and of them
advanced), for a certificate valid on the day of one of some kinds at a level
or above, and may apply only to persons holding one of some roles. An agency
may use its own tuple; `check_rules` refuses one that could rank a person
lower for holding more (rows must run from the highest stage down) or that can
leave a person without a stage (the last row must ask for nothing).

Inputs are plain data (`Certificate`), not the registry's rows: only verified
certificates are given, each with the day it was verified and its last valid
day; one counts on a day from its verification through its last valid day, and
never on a day after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import IntEnum, StrEnum
from itertools import pairwise

_ZERO = Decimal(0)


class TalentRole(StrEnum):
    POLICY = "policy"
    APPLICATION = "application"
    DEVELOPMENT = "development"
    RESEARCH = "research"

    @property
    def label_zh(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    TalentRole.POLICY: "AI政策人才",
    TalentRole.APPLICATION: "AI應用人才",
    TalentRole.DEVELOPMENT: "AI開發人才",
    TalentRole.RESEARCH: "AI研究人才",
}


class CertificateKind(StrEnum):
    LITERACY = "literacy"
    TOOL = "tool"
    PROJECT_PLANNING = "project_planning"
    PROJECT_TECHNICAL = "project_technical"

    @property
    def label_zh(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    CertificateKind.LITERACY: "素養類",
    CertificateKind.TOOL: "工具類",
    CertificateKind.PROJECT_PLANNING: "專案規劃類",
    CertificateKind.PROJECT_TECHNICAL: "專案技術類",
}


class Level(IntEnum):
    """A certificate's level as the catalogue states it: basic (初級, fundamentals
    such as AI-900), intermediate (中級, e.g. iPAS 中級), advanced (高級, the
    professional certifications)."""

    BASIC = 1
    INTERMEDIATE = 2
    ADVANCED = 3


class Stage(IntEnum):
    """Ordered: a later stage is a higher one."""

    ENTRY = 1
    ADVANCED = 2
    HANDS_ON = 3

    @property
    def code(self) -> str:
        return self.name.lower()

    @property
    def label_zh(self) -> str:
        return _STAGE_LABELS[self]


_STAGE_LABELS = {Stage.ENTRY: "入門", Stage.ADVANCED: "進階", Stage.HANDS_ON: "實作"}


@dataclass(frozen=True, slots=True)
class Certificate:
    """A verified certificate, as the rules see it."""

    kind: CertificateKind
    level: Level
    verified_on: date
    expires_on: date | None = None  # its last valid day; None: it does not expire
    code: str = ""  # the catalogue entry, for reasons and to count a renewal once

    def __post_init__(self) -> None:
        if self.expires_on is not None and self.expires_on < self.verified_on:
            raise ValueError("expires_on: before verified_on")

    def valid_on(self, day: date) -> bool:
        """Counts on `day`: verified by then, and not past its last valid day."""
        if day < self.verified_on:
            return False
        return self.expires_on is None or day <= self.expires_on


def valid_on(certificates: Iterable[Certificate], day: date) -> tuple[Certificate, ...]:
    return tuple(c for c in certificates if c.valid_on(day))


@dataclass(frozen=True, slots=True)
class StageRule:
    """One row: when every condition given holds, the person has reached `stage`."""

    stage: Stage
    reason: str
    min_ai_hours: Decimal | None = None
    min_advanced_hours: Decimal | None = None
    # A valid certificate of one of these kinds at `min_level` or above.
    certificate_kinds: frozenset[CertificateKind] = frozenset()
    min_level: Level = Level.BASIC
    # Only for persons holding one of these roles; empty: for everyone.
    roles: frozenset[TalentRole] = frozenset()

    @property
    def asks_nothing(self) -> bool:
        return (
            self.min_ai_hours is None
            and self.min_advanced_hours is None
            and not self.certificate_kinds
            and not self.roles
        )


@dataclass(frozen=True, slots=True)
class StageInput:
    """What the stage is decided from: one person, one year, one day."""

    ai_hours: Decimal  # AI hours of the year (training's figure)
    day: date  # certificates are counted as valid on this day
    ai_advanced_hours: Decimal = _ZERO  # of which advanced
    certificates: tuple[Certificate, ...] = ()
    roles: frozenset[TalentRole] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("ai_hours", "ai_advanced_hours"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"{name}: must be a finite Decimal, not negative")
        if self.ai_advanced_hours > self.ai_hours:
            raise ValueError("ai_advanced_hours: more than ai_hours")


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: Stage
    reason: str
    rule: int  # index of the row that matched
    counted: tuple[Certificate, ...]  # the certificates the row counted (may be none)


def _matching_certificates(
    rule: StageRule, valid: tuple[Certificate, ...]
) -> tuple[Certificate, ...]:
    return tuple(c for c in valid if c.kind in rule.certificate_kinds and c.level >= rule.min_level)


def _holds(rule: StageRule, person: StageInput, valid: tuple[Certificate, ...]) -> bool:
    if rule.roles and rule.roles.isdisjoint(person.roles):
        return False
    if rule.min_ai_hours is not None and person.ai_hours < rule.min_ai_hours:
        return False
    if rule.min_advanced_hours is not None and person.ai_advanced_hours < rule.min_advanced_hours:
        return False
    return not rule.certificate_kinds or bool(_matching_certificates(rule, valid))


def check_rules(rules: tuple[StageRule, ...]) -> None:
    """Refuse a rule table that could rank someone lower for having more, or
    that can leave someone without a stage; the message names each row at fault."""
    problems = []
    if not rules:
        raise ValueError("rules: at least one row is needed")
    for i, (higher, lower) in enumerate(pairwise(rules)):
        if lower.stage > higher.stage:
            problems.append(
                f"rules[{i + 1}]: {lower.stage.code} after {higher.stage.code}; "
                "rows run from the highest stage down"
            )
    for i, rule in enumerate(rules):
        for name in ("min_ai_hours", "min_advanced_hours"):
            value = getattr(rule, name)
            if value is not None and (not value.is_finite() or value < 0):
                problems.append(f"rules[{i}].{name}: must be finite and not negative")
        if not rule.reason.strip():
            problems.append(f"rules[{i}].reason: required")
    if not rules[-1].asks_nothing:
        problems.append(f"rules[{len(rules) - 1}]: the last row must ask for nothing")
    if problems:
        raise ValueError("; ".join(problems))


SIX = Decimal(6)
THREE = Decimal(3)

# The default path, from seed 001: everyone starts at entry (全體打底); 3 basic +
# 3 advanced AI hours (the 2026 assessment's 6 hours) or a literacy or tool
# certificate (the government common-core certificate, the III office
# application certificate) is advanced; hands-on needs a certificate that proves
# practice: project technical at any level, or project planning or a tool at
# intermediate or above with the 6 hours behind it.
STAGE_RULES: tuple[StageRule, ...] = (
    StageRule(
        Stage.HANDS_ON,
        "holds a verified project-technical certificate (專案技術類)",
        certificate_kinds=frozenset({CertificateKind.PROJECT_TECHNICAL}),
    ),
    StageRule(
        Stage.HANDS_ON,
        "holds a verified project-planning certificate (專案規劃類) of intermediate level "
        "or above, with 6 AI hours this year",
        min_ai_hours=SIX,
        certificate_kinds=frozenset({CertificateKind.PROJECT_PLANNING}),
        min_level=Level.INTERMEDIATE,
    ),
    StageRule(
        Stage.HANDS_ON,
        "holds a verified tool certificate (工具類) of intermediate level or above, "
        "with 6 AI hours this year",
        min_ai_hours=SIX,
        certificate_kinds=frozenset({CertificateKind.TOOL}),
        min_level=Level.INTERMEDIATE,
    ),
    StageRule(
        Stage.ADVANCED,
        "6 AI hours this year, 3 of them advanced (3 basic + 3 advanced)",
        min_ai_hours=SIX,
        min_advanced_hours=THREE,
    ),
    StageRule(
        Stage.ADVANCED,
        "holds a verified literacy (素養類) or tool (工具類) certificate",
        certificate_kinds=frozenset({CertificateKind.LITERACY, CertificateKind.TOOL}),
    ),
    StageRule(
        Stage.ENTRY,
        "everyone's path starts at entry (入門): no advanced hours or certificate yet",
    ),
)
check_rules(STAGE_RULES)


def learning_stage(person: StageInput, rules: tuple[StageRule, ...] = STAGE_RULES) -> StageResult:
    """The stage the first matching row gives, with its reason and what it counted."""
    valid = valid_on(person.certificates, person.day)
    for index, rule in enumerate(rules):
        if _holds(rule, person, valid):
            return StageResult(rule.stage, rule.reason, index, _matching_certificates(rule, valid))
    # check_rules makes the last row match everyone; a table it did not see may not.
    raise ValueError("rules: no row matched; the last row must ask for nothing")
