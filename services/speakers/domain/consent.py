"""Disclosure consent: which caller sees which of a lecturer's fields.

A lecturer chooses, per field, who may see it: any authorised searcher, only
training officers (訓練承辦人), or no one. A caller is a training officer when
it holds the lecturer-directory write permission; any other caller that
reaches a lecturer's search result is an authorised searcher."""

from __future__ import annotations

from enum import StrEnum


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
