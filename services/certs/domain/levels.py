"""A catalogue version's level, written in the issuer's words ("intermediate
(中級)", "foundational", "professional"), read as the rules' three levels.

The catalogue keeps the issuer's own word so that an HR officer recognises it;
the talent stage and the promotion points compare levels, so each word is read
here, in one place, by the first group whose words it contains. A word no group
names is basic: a certificate is never ranked above what its level says.
"""

from __future__ import annotations

from services.certs.domain.talent import Level

# Read top to bottom: "professional (TQC+)" is advanced before anything else.
LEVEL_WORDS: tuple[tuple[Level, tuple[str, ...]], ...] = (
    (Level.ADVANCED, ("professional", "advanced", "expert", "高級", "專業")),
    (Level.INTERMEDIATE, ("intermediate", "associate", "planning", "中級")),
    (Level.BASIC, ("basic", "fundamental", "foundational", "core", "初級", "基礎")),
)


def level_of(text: str) -> Level:
    """The rules' level of a catalogue level as written."""
    words = text.casefold()
    for level, names in LEVEL_WORDS:
        if any(name in words for name in names):
            return level
    return Level.BASIC


def level_code(level: Level) -> str:
    """The level as the API writes it: basic, intermediate or advanced."""
    return level.name.lower()
