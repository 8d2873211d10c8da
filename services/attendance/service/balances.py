"""Reading a person's comp time (balance, ledger entries) and moving it with
the person to another agency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from services.attendance.access import (
    COMP_TRANSFER,
    RECORDS_READ,
    person_in_reach,
    reach,
)
from services.attendance.models import ComptimeEntry, RosterPerson, personal_data_reads
from services.attendance.service import comptime
from services.attendance.service.comptime import AgencyRegistry
from services.attendance.store import ledger as ledger_store
from services.common.audit import record_personal_data_read
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.reach import scopes
from services.common.timeutil import today_taipei


def _balance(session: Session, person: RosterPerson, day: date) -> dict[str, Any]:
    """The balance as plain data in the shape of `ComptimeBalanceOut`. Built
    from tuples, not a model per grant: with hundreds of grants, validating
    each one again cost more than reading them."""
    grants = ledger_store.person_grants(session, person.person_id)
    return {
        "person_id": person.person_id,
        "agency_code": person.agency_code,
        "as_of": day,
        # Each grant's remaining is the sum of its entries and never negative, so
        # the grants with minutes left add up to the whole ledger: one query.
        "balance_minutes": sum(g[4] for g in grants),
        "usable_minutes": sum(g[4] for g in grants if g[1] <= day <= g[2]),
        "grants": [
            {
                "grant_id": grant_id,
                "earned_on": earned_on,
                "expires_on": expires_on,
                "minutes": minutes,
                "remaining": remaining,
            }
            for grant_id, earned_on, expires_on, minutes, remaining in grants
        ],
    }


def balance(
    session: Session, principal: Principal, person_id: str, as_of: date | None
) -> dict[str, Any]:
    """A person's balance on `as_of` (today by default), as plain data; the read
    is logged as one of the person's personal data."""
    person = person_in_reach(session, reach(session, principal, RECORDS_READ), person_id)
    day = as_of or today_taipei()
    record_personal_data_read(
        session, personal_data_reads, principal, [person.person_id], "comp-time"
    )
    return _balance(session, person, day)


def entries(
    session: Session, principal: Principal, person_id: str, page: PageParams
) -> tuple[list[ComptimeEntry], str | None]:
    """One page of a person's ledger entries, oldest first, and the next cursor."""
    person = person_in_reach(session, reach(session, principal, RECORDS_READ), person_id)
    rows, nxt = ledger_store.entries_page(session, person.person_id, page)
    record_personal_data_read(
        session, personal_data_reads, principal, [person.person_id], "comp-time-entries"
    )
    return rows, nxt


def check_destination(
    principal: Principal, to_agency: str, directory: Callable[[], AgencyRegistry]
) -> None:
    """Whether the caller may move someone into `to_agency`; run before the
    write session opens, so a call to the directory never runs while this
    request holds a writer's turn or a lock."""
    held = scopes(principal, COMP_TRANSFER)
    reachable = None if held.everything else (held.agencies or frozenset())
    comptime.check_destination(reachable, to_agency, directory)


def transfer(
    session: Session, principal: Principal, person_id: str, to_agency: str, on: date | None
) -> dict[str, Any]:
    """Move a person and their comp time (checked by `check_destination`);
    returns the balance as it stands today, in the shape of `balance`."""
    person = person_in_reach(session, reach(session, principal, COMP_TRANSFER), person_id)
    comptime.transfer(session, person, to_agency, on or today_taipei())
    return _balance(session, person, today_taipei())
