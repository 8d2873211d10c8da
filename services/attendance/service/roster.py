"""Reading one person's roster facts."""

from __future__ import annotations

from sqlmodel import Session

from services.attendance.access import RECORDS_READ, person_in_reach, reach
from services.attendance.models import RosterPerson, personal_data_reads
from services.common.audit import record_personal_data_read
from services.common.principal import Principal


def read_person(session: Session, principal: Principal, person_id: str) -> RosterPerson:
    """The person's roster row; the read is logged as one of their personal data."""
    person = person_in_reach(session, reach(session, principal, RECORDS_READ), person_id)
    record_personal_data_read(
        session, personal_data_reads, principal, [person.person_id], "roster", "roster"
    )
    return person
