"""One folded form of searchable text, and the n-grams the search index keeps.

Chinese has no word boundaries and its common search terms are one or two
characters long (人工, 資安, 倫理), too short for a trigram index; so every
searchable value is indexed by its distinct unigrams and bigrams, and a term
is looked up by its bigrams (or its one character), then confirmed by a plain
substring test on the candidate values."""

from __future__ import annotations

import re
import unicodedata

# A searchable value and a search term are both bounded: a value longer than
# this is indexed by its first VALUE_LENGTH characters only.
VALUE_LENGTH = 300
TERM_MIN, TERM_MAX = 1, 50

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFKC (full-width ＡＢＣ１２３ and half-width forms become one) then casefold,
    with runs of white space made one space and the ends stripped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Casefolding can yield a sequence NFKC composes differently, so normalise
    # again: folding a folded text must change nothing.
    folded = unicodedata.normalize("NFKC", folded)
    return _SPACES.sub(" ", folded).strip()[:VALUE_LENGTH]


def unigrams(folded: str) -> set[str]:
    return set(folded)


def bigrams(folded: str) -> set[str]:
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


def index_grams(folded: str) -> set[str]:
    """What the index keeps for a value: every distinct character and pair."""
    return unigrams(folded) | bigrams(folded)


def query_grams(folded_term: str) -> set[str]:
    """The grams every value containing the term must hold: the term itself when
    it is one character, else its bigrams."""
    if len(folded_term) == 1:
        return {folded_term}
    return bigrams(folded_term)


def match_quality(folded_value: str, folded_term: str) -> int:
    """3 when the value is the term, 2 when it starts with it, 1 when it holds
    it elsewhere, 0 when it does not hold it."""
    if folded_value == folded_term:
        return 3
    if folded_value.startswith(folded_term):
        return 2
    if folded_term in folded_value:
        return 1
    return 0
