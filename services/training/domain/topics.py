"""Topic tags a learning record can carry.

The tags name the mandatory-content blocks of the yearly learning hours
(必須完成課程) and the two AI levels of the 2026 assessment (基礎 / 進階). A
record may carry several tags; how they count is decided in `evaluation`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Topic(StrEnum):
    AI_BASIC = "ai_basic"
    AI_ADVANCED = "ai_advanced"
    ENVIRONMENTAL_EDUCATION = "environmental_education"
    GENDER_MAINSTREAMING = "gender_mainstreaming"
    # One tag for the rest of 民主治理價值: integrity and service ethics, human
    # rights, administrative neutrality, ethnic diversity, civic participation.
    DEMOCRATIC_VALUES = "democratic_values"
    MAJOR_POLICY = "major_policy"
    INFORMATION_SECURITY = "information_security"
    SEXUAL_HARASSMENT_PREVENTION = "sexual_harassment_prevention"

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def is_ai(self) -> bool:
        return self in AI_TOPICS


_LABELS_ZH: dict[Topic, str] = {
    Topic.AI_BASIC: "AI知能（基礎）",
    Topic.AI_ADVANCED: "AI知能（進階）",
    Topic.ENVIRONMENTAL_EDUCATION: "環境教育",
    Topic.GENDER_MAINSTREAMING: "性別主流化",
    Topic.DEMOCRATIC_VALUES: "民主治理價值（廉政與服務倫理、人權、行政中立、多元族群、公民參與）",
    Topic.MAJOR_POLICY: "當前政府重大政策",
    Topic.INFORMATION_SECURITY: "資通安全",
    Topic.SEXUAL_HARASSMENT_PREVENTION: "性騷擾防治法規及意識",
}

AI_TOPICS: frozenset[Topic] = frozenset({Topic.AI_BASIC, Topic.AI_ADVANCED})


def is_ai(topics: frozenset[Topic] | set[Topic]) -> bool:
    """Whether any of the tags counts as AI (AI知能) learning."""
    return not AI_TOPICS.isdisjoint(topics)


# One bit per topic, for the tag set stored with each learning record (so a report
# tests a record's topics with integer arithmetic instead of looking its course
# up). Stored data depends on these values: a new topic takes a new bit, and no
# bit is ever reused or renumbered.
TOPIC_BITS: dict[Topic, int] = {
    Topic.AI_BASIC: 1 << 0,
    Topic.AI_ADVANCED: 1 << 1,
    Topic.ENVIRONMENTAL_EDUCATION: 1 << 2,
    Topic.GENDER_MAINSTREAMING: 1 << 3,
    Topic.DEMOCRATIC_VALUES: 1 << 4,
    Topic.MAJOR_POLICY: 1 << 5,
    Topic.INFORMATION_SECURITY: 1 << 6,
    Topic.SEXUAL_HARASSMENT_PREVENTION: 1 << 7,
}


def topic_mask(topics: Iterable[Topic]) -> int:
    """The bits of a tag set (`TOPIC_BITS`)."""
    mask = 0
    for topic in topics:
        mask |= TOPIC_BITS[topic]
    return mask
