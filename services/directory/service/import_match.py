"""Matching for another service's queued import, asked by that service as itself.

A queued learning-record import runs in whichever training worker claims it,
long after the importer's request and its token are gone. It then asks as
training's own account (`svc.training`, `directory:persons:import_match`),
naming the importer and the agencies its job writes for; the directory answers
what the importer itself could have been answered, no more:

- the importer must be an active account of a person or machine (never another
  service's), and every agency named must be within its own reach for what is
  asked (`directory:persons:match` for national IDs, `directory:persons:read`
  for persons by id): otherwise 403, and nothing is matched;
- a number or a person is answered only within the agencies named (out of them,
  `not_found` and absent, as for someone who does not exist);
- the personal-data read log records the service account as the reader, with
  the importer and the import job it acted for.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from services.common.audit import record_personal_data_read
from services.common.errors import Forbidden
from services.common.principal import Principal
from services.common.timeutil import today_taipei
from services.directory.access import PERSONS_MATCH, PERSONS_READ, agencies_reach, reach
from services.directory.models import Person, personal_data_reads
from services.directory.schemas import (
    ImportMatchPerson,
    ImportMatchReport,
    ImportMatchRequest,
    PersonMatch,
)
from services.directory.service import person_match
from services.directory.store import accounts as account_store
from services.directory.store import principals as principal_store

RESOURCE = "directory:persons:import_match"
IMPORTER_KINDS = frozenset({"human", "machine"})


def _importer(session: Session, name: str) -> Principal:
    """The importer as the gateway would resolve it today; refused (one reason for
    every case) unless it is an active account of a person or a machine."""
    account = account_store.get_account(session, name)
    if account is None or account.kind not in IMPORTER_KINDS or account.status != "active":
        raise Forbidden("the importer is not an active importer account")
    resolved = principal_store.resolve(session, account, today_taipei())
    return Principal(
        sub=resolved.account,
        kind=resolved.kind,
        person_id=resolved.person_id,
        agency_code=resolved.agency_code,
        agency_scope=resolved.agency_scope,
        roles=resolved.roles,
        permissions=resolved.permissions,
    )


def _check_reach(
    session: Session, importer: Principal, permission: str, agencies: set[str]
) -> None:
    held = reach(session, importer, permission)
    outside = sorted(code for code in agencies if not held.covers(agency_code=code))
    if outside:
        raise Forbidden(
            f"agencies outside the importer's reach for {permission}: {', '.join(outside)}"
        )


def match_for_import(
    session: Session, service: Principal, body: ImportMatchRequest, key: str
) -> ImportMatchReport:
    """The importer's answers, asked by `service` (a service's own account)."""
    if service.kind != "service":
        # The gateway lets only service accounts reach the route; checked here too.
        raise Forbidden("only a service's own account matches for an import")
    importer = _importer(session, body.importer)
    agencies = set(body.agencies)
    if body.national_ids:
        _check_reach(session, importer, PERSONS_MATCH, agencies)
    if body.person_ids:
        _check_reach(session, importer, PERSONS_READ, agencies)
    acting = f"for={importer.sub};job={body.import_job}"
    results: list[PersonMatch] = []
    if body.national_ids:
        within = agencies_reach(agencies, PERSONS_MATCH).clause(agency=Person.agency_code)
        results, found, invalid = person_match.match_within(session, body.national_ids, within, key)
        record_personal_data_read(
            session,
            personal_data_reads,
            service,
            [person_match.BATCH_SUBJECT],
            RESOURCE,
            f"person_id;count={len(body.national_ids)};found={found};invalid={invalid};"
            f"purpose={body.purpose};{acting}",
        )
    persons: list[ImportMatchPerson] = []
    if body.person_ids:
        rows = session.execute(
            select(col(Person.id), col(Person.agency_code), col(Person.unit_id)).where(
                col(Person.id).in_(sorted(set(body.person_ids))),
                col(Person.agency_code).in_(sorted(agencies)),
            )
        ).all()
        persons = [ImportMatchPerson(id=i, agency_code=a, unit_id=u) for i, a, u in rows]
        record_personal_data_read(
            session,
            personal_data_reads,
            service,
            [p.id for p in persons],
            RESOURCE,
            f"agency_code,unit_id;purpose={body.purpose};{acting}",
        )
    return ImportMatchReport(results=results, persons=persons)
