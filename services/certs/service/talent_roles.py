"""AI-talent roles by duties (policy, application, development, research): an HR
officer of the person's agency assigns one with a reason and ends it with a
reason; every assignment stays, so the history shows who, when and why.

The person must be one the directory knows in an agency of the officer's scope:
the directory is asked on the officer's behalf, and the answer also records
where the person works (`talent_persons`).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.certs import access
from services.certs.clients import Peers
from services.certs.models import TalentRoleAssignment, personal_data_reads
from services.certs.service.talent_reach import reached_person
from services.certs.store import person_certificates, talent_persons
from services.certs.store import talent_roles as store
from services.certs.talent_schemas import TalentRoleAssign, TalentRoleEnd, TalentRoleOut
from services.common.audit import record_personal_data_read
from services.common.errors import Conflict, FieldError
from services.common.principal import Principal
from services.common.reach import outside, scopes
from services.common.timeutil import now_utc, today_taipei

RESOURCE = "talent-roles"
NO_ASSIGNMENT = "no such role assignment"


def out(row: TalentRoleAssignment) -> TalentRoleOut:
    return TalentRoleOut.model_validate(
        {**row.model_dump(), "live": row.ended_at is None}, from_attributes=False
    )


def _already_live(role: str) -> Conflict:
    return Conflict(
        f"the person holds the role {role} already; end it before assigning it again",
        errors=[
            FieldError(
                field="body.role",
                reason="the person holds this role already (one live assignment per role)",
                code="role_already_live",
            )
        ],
    )


def assign(
    session: Session, who: Principal, peers: Peers, person_id: str, body: TalentRoleAssign
) -> TalentRoleOut:
    held = scopes(who, access.TALENT_WRITE).agency_wide()
    if held.none:
        # Refused before the directory is asked anything.
        raise outside(held, access.NO_PERSON)
    person = peers.directory().person(person_id)
    access.agency_person_reached(
        who, access.TALENT_WRITE, None if person is None else person.agency_code
    )
    assert person is not None
    # The upsert holds the person's row until commit: concurrent role writes of
    # one person recount one after the other.
    # (Even an unchanged place locks the row: ON CONFLICT locks what it skips.)
    talent_persons.upsert(session, [(person_id, person.agency_code, person.unit)], now_utc())
    # A person new to the table may have hours pulled already.
    talent_persons.copy_hours(session, [person_id])
    role = body.role.value
    if store.live(session, person_id, role) is not None:
        raise _already_live(role)
    row = TalentRoleAssignment(
        person_id=person_id,
        agency_code=person.agency_code,
        role=role,
        reason=body.reason,
        assigned_by=who.sub,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another officer assigned it a moment ago.
        raise _already_live(role) from None
    # The person's live-roles bits, which staffing search reads.
    person_certificates.recount(session, [person_id], today_taipei())
    return out(row)


def end(
    session: Session, who: Principal, person_id: str, assignment_id: int, body: TalentRoleEnd
) -> TalentRoleOut:
    store.lock_person(session, person_id)
    row = store.get(session, assignment_id, for_update=True)
    if row is not None and row.person_id != person_id:
        row = None
    held = scopes(who, access.TALENT_WRITE).agency_wide()
    if row is None or not held.covers_agency(row.agency_code):
        raise outside(held, NO_ASSIGNMENT)
    if row.ended_at is not None:
        raise Conflict(
            "this role assignment has ended already",
            errors=[
                FieldError(
                    field="assignment_id",
                    reason="ended already; the history keeps it as it was",
                    code="role_already_ended",
                )
            ],
        )
    row.ended_at = now_utc()
    row.ended_by = who.sub
    row.end_reason = body.reason
    session.add(row)
    session.flush()
    person_certificates.recount(session, [person_id], today_taipei())
    return out(row)


def history(session: Session, who: Principal, person_id: str) -> list[TalentRoleOut]:
    reached_person(session, who, access.TALENT_READ, person_id)
    record_personal_data_read(session, personal_data_reads, who, [person_id], RESOURCE)
    return [out(row) for row in store.history(session, person_id)]
