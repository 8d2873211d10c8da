"""A catalogue version's level: the issuer's words ("intermediate (中級)",
"foundational", "professional") and the rank the rules compare (basic,
intermediate, advanced), both kept on the version.

The catalogue keeps the issuer's own word so that an HR officer recognises it,
and the rank (`catalogue_versions.level_rank`) so that the talent stage, the
staffing search, the team proposal and the promotion points compare what a
catalogue officer set and can see. The rank is read from the words only when the
officer gives none: by the first group whose words the level contains; a level
no group names is basic.
"""

from __future__ import annotations

from services.certs.domain.talent import Level

# Read top to bottom: "professional (TQC+)" is advanced before anything else.
LEVEL_WORDS: tuple[tuple[Level, tuple[str, ...]], ...] = (
    (Level.ADVANCED, ("professional", "advanced", "expert", "高級", "專業")),
    (Level.INTERMEDIATE, ("intermediate", "associate", "planning", "中級")),
    (Level.BASIC, ("basic", "fundamental", "foundational", "core", "初級", "基礎")),
)
# The ranks as stored and written by the API, lowest first.
LEVEL_CODES: tuple[str, ...] = tuple(level.name.lower() for level in Level)


def level_of(text: str) -> Level:
    """The rank a level as written is given when its catalogue version names none."""
    words = text.casefold()
    for level, names in LEVEL_WORDS:
        if any(name in words for name in names):
            return level
    return Level.BASIC


def level_code(level: Level) -> str:
    """The rank as stored and as the API writes it: basic, intermediate or advanced."""
    return level.name.lower()


def rank_of(code: str) -> Level:
    """A stored rank (`level_rank`) as the rules' level."""
    return Level[code.upper()]


def words_described() -> str:
    """The keyword table in words, for the API's description of the default."""
    return "; ".join(
        f"{level_code(level)}: {', '.join(repr(w) for w in names)}" for level, names in LEVEL_WORDS
    )
