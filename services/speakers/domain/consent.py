"""Disclosure consent: which caller sees which of a lecturer's fields.

A lecturer chooses, per field, who may see it: any authorised searcher, only
training officers (訓練承辦人), or no one. A caller is a training officer when
it holds the lecturer-directory write permission; any other caller that
reaches a lecturer's search result is an authorised searcher."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

# The day a lecturer never engaged, or whose records the caller may not see, is
# ranked by: before every real day.
NEVER = date(1, 1, 1)


class Disclosure(StrEnum):
    SEARCHERS = "searchers"
    TRAINING_OFFICERS = "training_officers"
    HIDDEN = "hidden"


class Audience(StrEnum):
    SEARCHER = "searcher"
    TRAINING_OFFICER = "training_officer"


class ConsentField(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    BIOGRAPHY = "biography"
    ENGAGEMENTS = "engagements"


# Before a lecturer has chosen: contact details are personal data and stay
# hidden; the biography and the engagement records are what the directory is
# for (the academy has always shown them to training officers), so training
# officers see them until the lecturer says otherwise.
DEFAULTS: dict[ConsentField, Disclosure] = {
    ConsentField.EMAIL: Disclosure.HIDDEN,
    ConsentField.PHONE: Disclosure.HIDDEN,
    ConsentField.BIOGRAPHY: Disclosure.TRAINING_OFFICERS,
    ConsentField.ENGAGEMENTS: Disclosure.TRAINING_OFFICERS,
}


def allowed(disclosure: Disclosure, audience: Audience) -> bool:
    if disclosure is Disclosure.SEARCHERS:
        return True
    if disclosure is Disclosure.TRAINING_OFFICERS:
        return audience is Audience.TRAINING_OFFICER
    return False


def levels_for(audience: Audience) -> tuple[Disclosure, ...]:
    """The disclosure settings under which `audience` sees a field."""
    return tuple(d for d in Disclosure if allowed(d, audience))


def ranking_day(last_engaged: date | None, engagements: Disclosure, audience: Audience) -> date:
    """The engagement day `audience` ranks a lecturer by: the latest record not
    hidden, when the lecturer's engagement records are disclosed to it; NEVER
    otherwise, as if there were none, so that the order of results does not
    tell when a lecturer last taught to a caller who may not see it."""
    if last_engaged is None or not allowed(engagements, audience):
        return NEVER
    return last_engaged
