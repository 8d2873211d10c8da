"""A catalogue version's level, read as an order: basic < intermediate < advanced.

The catalogue writes the level in the issuer's own words (`intermediate (中級)`,
`foundational`, `professional`), so that an officer reads what the certificate
says. Searching "at least intermediate" needs an order, which is read from
those words here, in one place: the first row whose word appears in the level
decides; a level naming none of them is basic.
"""

from __future__ import annotations

from services.certs.domain.talent import Level

# Checked in order; "professional" before anything it contains.
LEVEL_WORDS: tuple[tuple[str, Level], ...] = (
    ("professional", Level.ADVANCED),
    ("advanced", Level.ADVANCED),
    ("expert", Level.ADVANCED),
    ("高級", Level.ADVANCED),
    ("intermediate", Level.INTERMEDIATE),
    ("associate", Level.INTERMEDIATE),
    ("中級", Level.INTERMEDIATE),
)


def level_of(text: str) -> Level:
    """The order of a catalogue level written as words."""
    lowered = text.casefold()
    for word, level in LEVEL_WORDS:
        if word in lowered:
            return level
    return Level.BASIC


def level_code(level: Level) -> str:
    return level.name.lower()
