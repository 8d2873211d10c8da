"""Compliance reports: an agency rolled up over the subordinates the caller may
read, or one person's year with the records behind it; each read is logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.principal import Principal
from services.training.access import RECORDS_READ, check_agency
from services.training.clients import Peers
from services.training.models import Course, LearningRecord, personal_data_reads
from services.training.service import compliance
from services.training.store import records


def covered_agencies(
    who: Principal, peers: Peers, agency_code: str, subordinates: bool
) -> list[str]:
    """The agencies an agency report of `agency_code` covers for `who`, sorted."""
    check_agency(who, RECORDS_READ, agency_code)
    agencies = [agency_code]
    if subordinates:
        tree = peers.directory().subtree(agency_code)
        # An officer scoped to part of the tree sees that part only.
        agencies = [c for c in tree if who.has(RECORDS_READ) or who.in_scope(c)] or [agency_code]
    return sorted(set(agencies))


def agency_report(
    session: Session,
    who: Principal,
    peers: Peers,
    agency_code: str,
    year: int,
    day: date,
    subordinates: bool,
) -> compliance.AgencyReport:
    covered = covered_agencies(who, peers, agency_code, subordinates)
    # The report discloses who in these agencies is short, and by how much. It is
    # audited as one row per agency it covers (subject `agency:<code>`, with the
    # year and day it was run for), not one per person listed: an agency of
    # 100,000 would otherwise add up to 100,000 audit rows on every read.
    record_personal_data_read(
        session,
        personal_data_reads,
        who,
        [f"agency:{code}" for code in covered],
        "agency report",
        f"shortfalls {year} as of {day.isoformat()}",
    )
    return compliance.agency_report(session, covered, year, day)


@dataclass(frozen=True)
class PersonReport:
    result: compliance.PersonResult
    records: list[tuple[LearningRecord, Course]]  # the year's, in the order completed


def person_report(
    session: Session, who: Principal, person_id: str, year: int, as_of: date
) -> PersonReport:
    placement = compliance.visible_placement(session, who, person_id, "person report")
    result = compliance.evaluate_person(session, person_id, placement, year, as_of)
    return PersonReport(result, records.for_person_year(session, person_id, year))
