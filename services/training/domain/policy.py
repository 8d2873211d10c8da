"""Yearly learning-hour requirements (學習時數) as data: national rows and agency overrides.

Figures and where they come from (seeds 000: 113 年人事主管會報重要政策說明;
001: 「AI公務人才認定指引」人事推動實務問答集, 115-06):

- Total 20 h of business-related learning a year, unchanged in 2026: 001 Q8
  "每人每年業務相關學習時數維持 20 小時".
- 10 h of it is mandatory content: 001 "每人每年10小時必須完成課程".
- AI minimum 3 h from 2026-01-01: 001 "自115年1月1日起將AI知能納入公務人員每人每年
  10小時必須完成課程內涵" and Q8 "其中必須包含 3 小時的人工智慧 (AI) 課程". 0 before.
- AI assessment targets (2026): 001 "「AI知能課程學習時數達成率」納入115年度人事業務績效
  考核" and "期各機關同仁完成3小時基礎及3小時進階，共6小時AI知能相關課程".
- Sexual-harassment prevention from 2024: 000 "自 113 年起將「性騷擾防治法規及意識」
  納入公務人員每人每年必須完成學習時數範圍". The seeds give no hours: we require 1 h
  (the smallest figure of any mandatory block) and, because it is brought *within*
  the mandatory scope rather than added on top, count it inside democratic values.

Where the seeds are silent (figures from docs/domain.md §2, the standing rule):
- major policy 1 h, environmental education 4 h, democratic governance values 5 h
  including gender mainstreaming 1 h; information security 3 h is an agency option
  (`INFORMATION_SECURITY_REQUIREMENT`, added through an override).
- How the 10 mandatory hours are split once AI is inside them (2026) is not stated;
  the 2026 row keeps the standing topic minimums and adds the AI 3 h on top, so its
  mandatory minimums add up to 13 h. It is a data row: correct it when the split is known.
- Cut-off: 31 Dec unless an agency sets an earlier day (e.g. 30 Nov for appraisal).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from services.training.domain.topics import AI_TOPICS, Topic

TOTAL = "total"
AI_MINIMUM = "ai_minimum"
AI_BASIC_TARGET = "ai_basic_target"
AI_ADVANCED_TARGET = "ai_advanced_target"
RESERVED_CODES = frozenset({TOTAL, AI_MINIMUM, AI_BASIC_TARGET, AI_ADVANCED_TARGET})

_FIRST_YEAR = 1912  # ROC year 1; earlier years cannot be written the way HR writes them


def _check_hours(name: str, value: object) -> None:
    # Floats would let 0.1 + 0.2 miss a threshold; insist on Decimal.
    if not isinstance(value, Decimal):
        raise TypeError(f"{name}: hours must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name}: hours must be finite, got {value}")
    if value < 0:
        raise ValueError(f"{name}: hours must not be negative, got {value}")


@dataclass(frozen=True)
class TopicRequirement:
    """At least `minimum_hours` from records tagged with any of `topics`.

    A set of topics models nesting: democratic values (5 h) is satisfied by its own
    tag and by gender mainstreaming, which also has its own 1 h requirement.
    Records carrying any tag in `excluding` do not count (used so one course cannot
    fill both halves of the 3 + 3 AI target).
    """

    code: str
    topics: frozenset[Topic]
    minimum_hours: Decimal
    label_zh: str = ""
    excluding: frozenset[Topic] = frozenset()

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("code: must not be empty")
        if not self.topics:
            raise ValueError(f"topics: requirement {self.code!r} names no topic")
        if not self.topics.isdisjoint(self.excluding):
            raise ValueError(f"excluding: requirement {self.code!r} excludes its own topic")
        _check_hours(f"minimum_hours ({self.code})", self.minimum_hours)

    def counts(self, tags: frozenset[Topic]) -> bool:
        """Whether a record with these tags counts toward this requirement."""
        return not tags.isdisjoint(self.topics) and tags.isdisjoint(self.excluding)


@dataclass(frozen=True)
class RequirementPolicy:
    """The requirements one person is held to for one calendar year."""

    year: int
    version: str
    topic_requirements: tuple[TopicRequirement, ...]
    total_hours: Decimal = Decimal(20)
    ai_minimum_hours: Decimal = Decimal(0)
    ai_target_basic_hours: Decimal = Decimal(3)
    ai_target_advanced_hours: Decimal = Decimal(3)
    cutoff: date | None = None  # None: 31 Dec of `year`
    _all: tuple[TopicRequirement, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or not _FIRST_YEAR <= self.year <= 9999:
            raise ValueError(f"year: must be an integer from {_FIRST_YEAR}, got {self.year!r}")
        if not self.version:
            raise ValueError("version: must not be empty")
        for name in (
            "total_hours",
            "ai_minimum_hours",
            "ai_target_basic_hours",
            "ai_target_advanced_hours",
        ):
            _check_hours(name, getattr(self, name))
        if self.cutoff is not None and self.cutoff.year != self.year:
            raise ValueError(f"cutoff: {self.cutoff} is not inside year {self.year}")
        codes = [r.code for r in self.topic_requirements]
        for code in codes:
            if code in RESERVED_CODES:
                raise ValueError(f"topic_requirements: code {code!r} is reserved")
            if codes.count(code) > 1:
                raise ValueError(f"topic_requirements: duplicate code {code!r}")
        # Built once so evaluating a person does no policy work per call.
        object.__setattr__(self, "_all", self._build_all())

    @property
    def cutoff_date(self) -> date:
        return self.cutoff if self.cutoff is not None else date(self.year, 12, 31)

    def _build_all(self) -> tuple[TopicRequirement, ...]:
        ai = (
            TopicRequirement(AI_MINIMUM, AI_TOPICS, self.ai_minimum_hours, "AI知能最低時數"),
            # A course tagged both levels counts as advanced: the target is 6 distinct hours.
            TopicRequirement(
                AI_BASIC_TARGET,
                frozenset({Topic.AI_BASIC}),
                self.ai_target_basic_hours,
                "AI知能基礎",
                excluding=frozenset({Topic.AI_ADVANCED}),
            ),
            TopicRequirement(
                AI_ADVANCED_TARGET,
                frozenset({Topic.AI_ADVANCED}),
                self.ai_target_advanced_hours,
                "AI知能進階",
            ),
        )
        return self.topic_requirements + ai

    @property
    def all_topic_requirements(self) -> tuple[TopicRequirement, ...]:
        """Mandatory topic requirements, then AI minimum, AI basic and AI advanced target."""
        return self._all

    def requirement(self, code: str) -> TopicRequirement:
        for req in self._all:
            if req.code == code:
                return req
        raise KeyError(code)


# --- national rows -----------------------------------------------------------

MAJOR_POLICY_REQUIREMENT = TopicRequirement(
    "major_policy", frozenset({Topic.MAJOR_POLICY}), Decimal(1), "當前政府重大政策"
)
ENVIRONMENTAL_EDUCATION_REQUIREMENT = TopicRequirement(
    "environmental_education", frozenset({Topic.ENVIRONMENTAL_EDUCATION}), Decimal(4), "環境教育"
)
GENDER_MAINSTREAMING_REQUIREMENT = TopicRequirement(
    "gender_mainstreaming", frozenset({Topic.GENDER_MAINSTREAMING}), Decimal(1), "性別主流化"
)
SEXUAL_HARASSMENT_PREVENTION_REQUIREMENT = TopicRequirement(
    "sexual_harassment_prevention",
    frozenset({Topic.SEXUAL_HARASSMENT_PREVENTION}),
    Decimal(1),
    "性騷擾防治法規及意識",
)
INFORMATION_SECURITY_REQUIREMENT = TopicRequirement(
    "information_security", frozenset({Topic.INFORMATION_SECURITY}), Decimal(3), "資通安全"
)


def _democratic_values(*inner: Topic) -> TopicRequirement:
    return TopicRequirement(
        "democratic_values",
        frozenset({Topic.DEMOCRATIC_VALUES, *inner}),
        Decimal(5),
        "民主治理價值",
    )


_STANDING = (
    MAJOR_POLICY_REQUIREMENT,
    ENVIRONMENTAL_EDUCATION_REQUIREMENT,
    _democratic_values(Topic.GENDER_MAINSTREAMING),
    GENDER_MAINSTREAMING_REQUIREMENT,
)
_FROM_2024 = (
    MAJOR_POLICY_REQUIREMENT,
    ENVIRONMENTAL_EDUCATION_REQUIREMENT,
    _democratic_values(Topic.GENDER_MAINSTREAMING, Topic.SEXUAL_HARASSMENT_PREVENTION),
    GENDER_MAINSTREAMING_REQUIREMENT,
    SEXUAL_HARASSMENT_PREVENTION_REQUIREMENT,
)

# Keyed by the first year a row applies; later years reuse the latest earlier row.
NATIONAL_POLICIES: Mapping[int, RequirementPolicy] = MappingProxyType(
    {
        2017: RequirementPolicy(2017, "national-2017", _STANDING),
        2024: RequirementPolicy(2024, "national-2024", _FROM_2024),
        2025: RequirementPolicy(2025, "national-2025", _FROM_2024),
        2026: RequirementPolicy(2026, "national-2026", _FROM_2024, ai_minimum_hours=Decimal(3)),
    }
)


def _same_day_in(year: int, day: date) -> date:
    # 29 Feb has no twin in a common year; the day before is the safe side of a cut-off.
    if day.month == 2 and day.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, day.month, day.day)


def national_policy(
    year: int, table: Mapping[int, RequirementPolicy] = NATIONAL_POLICIES
) -> RequirementPolicy:
    """The national row for `year`: its own, else the latest earlier one re-dated to `year`."""
    candidates = [y for y in table if y <= year]
    if not candidates:
        raise ValueError(f"year: no national policy applies to {year}")
    row = table[max(candidates)]
    if row.year == year:
        return row
    cutoff = None if row.cutoff is None else _same_day_in(year, row.cutoff)
    return dataclasses.replace(row, year=year, cutoff=cutoff)


# --- agency overrides ----------------------------------------------------------


@dataclass(frozen=True)
class AgencyOverride:
    """An agency's stricter rules, in force from `from_year` until a later override.

    Every field left as None inherits the national value. `topic_minimums` raises
    existing requirements by code; `extra_requirements` adds new ones (e.g.
    `INFORMATION_SECURITY_REQUIREMENT`). The cut-off is a month and day so one
    override serves every year.
    """

    agency_id: str
    from_year: int
    version: str
    total_hours: Decimal | None = None
    ai_minimum_hours: Decimal | None = None
    ai_target_basic_hours: Decimal | None = None
    ai_target_advanced_hours: Decimal | None = None
    topic_minimums: Mapping[str, Decimal] = field(default_factory=dict)
    extra_requirements: tuple[TopicRequirement, ...] = ()
    cutoff_month_day: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not self.agency_id:
            raise ValueError("agency_id: must not be empty")
        if not self.version:
            raise ValueError("version: must not be empty")
        if not isinstance(self.from_year, int) or not _FIRST_YEAR <= self.from_year <= 9999:
            raise ValueError(f"from_year: must be an integer from {_FIRST_YEAR}")
        for name in (
            "total_hours",
            "ai_minimum_hours",
            "ai_target_basic_hours",
            "ai_target_advanced_hours",
        ):
            value = getattr(self, name)
            if value is not None:
                _check_hours(name, value)
        for code, hours in self.topic_minimums.items():
            _check_hours(f"topic_minimums[{code}]", hours)
        if self.cutoff_month_day is not None:
            month, day = self.cutoff_month_day
            if (month, day) == (2, 29):
                raise ValueError("cutoff_month_day: 29 Feb does not exist every year")
            try:
                date(2001, month, day)
            except ValueError as exc:
                raise ValueError(f"cutoff_month_day: {self.cutoff_month_day} is no day") from exc
        # Freeze the mapping so the override cannot change after validation.
        object.__setattr__(self, "topic_minimums", MappingProxyType(dict(self.topic_minimums)))


def _raise_only(name: str, floor: Decimal, value: Decimal | None) -> Decimal:
    if value is None:
        return floor
    if value < floor:
        raise ValueError(f"{name}: {value} is below the national floor {floor}")
    return value


def apply_override(national: RequirementPolicy, override: AgencyOverride) -> RequirementPolicy:
    """The national policy tightened by an agency override; refuses any loosening."""
    if override.from_year > national.year:
        raise ValueError(
            f"from_year: override starts in {override.from_year}, after {national.year}"
        )
    known = {r.code for r in national.topic_requirements}
    for code in override.topic_minimums:
        if code not in known:
            raise ValueError(
                f"topic_minimums[{code}]: no such national requirement; "
                "add it through extra_requirements"
            )
    reqs = [
        dataclasses.replace(
            req,
            minimum_hours=_raise_only(
                f"topic_minimums[{req.code}]",
                req.minimum_hours,
                override.topic_minimums.get(req.code),
            ),
        )
        for req in national.topic_requirements
    ]
    for extra in override.extra_requirements:
        if extra.code in known:
            raise ValueError(
                f"extra_requirements: {extra.code!r} is national; raise it via topic_minimums"
            )
    cutoff = national.cutoff_date
    if override.cutoff_month_day is not None:
        month, day = override.cutoff_month_day
        wanted = date(national.year, month, day)
        if wanted > cutoff:
            raise ValueError(f"cutoff_month_day: {wanted} is later than the national {cutoff}")
        cutoff = wanted
    return RequirementPolicy(
        year=national.year,
        version=f"{national.version}+{override.agency_id}:{override.version}",
        topic_requirements=(*reqs, *override.extra_requirements),
        total_hours=_raise_only("total_hours", national.total_hours, override.total_hours),
        ai_minimum_hours=_raise_only(
            "ai_minimum_hours", national.ai_minimum_hours, override.ai_minimum_hours
        ),
        ai_target_basic_hours=_raise_only(
            "ai_target_basic_hours", national.ai_target_basic_hours, override.ai_target_basic_hours
        ),
        ai_target_advanced_hours=_raise_only(
            "ai_target_advanced_hours",
            national.ai_target_advanced_hours,
            override.ai_target_advanced_hours,
        ),
        cutoff=cutoff,
    )


def resolve_policy(
    year: int,
    agency_chain: Sequence[str],
    overrides: Sequence[AgencyOverride] = (),
    table: Mapping[int, RequirementPolicy] = NATIONAL_POLICIES,
) -> RequirementPolicy:
    """The policy for a person of `agency_chain[0]` in `year`.

    `agency_chain` is the agency followed by its ancestors, nearest first. The
    nearest agency with an override in force (latest `from_year` <= `year`) wins;
    overrides do not stack, and each is checked against the national floor only.
    """
    national = national_policy(year, table)
    by_agency: dict[str, list[AgencyOverride]] = {}
    for override in overrides:
        bucket = by_agency.setdefault(override.agency_id, [])
        if any(o.from_year == override.from_year for o in bucket):
            raise ValueError(
                f"overrides: two for agency {override.agency_id!r} from {override.from_year}"
            )
        bucket.append(override)
    for agency_id in agency_chain:
        in_force = [o for o in by_agency.get(agency_id, ()) if o.from_year <= year]
        if in_force:
            return apply_override(national, max(in_force, key=lambda o: o.from_year))
    return national
