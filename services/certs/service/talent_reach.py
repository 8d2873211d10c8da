"""Which person a talent request is about, and whether the caller reaches them.

A person's agency is the one the certs service has on record: where the nightly
pull (training's roster) or an HR officer's assignment (the directory) last
placed them, else the agency of their latest registered certificate. A person
the service has no record of is not found, as is one of another agency.
"""

from __future__ import annotations

from sqlmodel import Session

from services.certs import access
from services.certs.store import talent_persons
from services.common.principal import Principal


def recorded_agency(session: Session, person_id: str) -> str | None:
    person = talent_persons.get(session, person_id)
    if person is not None:
        return person.agency_code
    return talent_persons.certificate_agency(session, person_id)


def reached_person(session: Session, who: Principal, family: str, person_id: str) -> str:
    """The person's agency when `family` reaches them (see access.person_reached)."""
    return access.person_reached(who, family, person_id, recorded_agency(session, person_id))
