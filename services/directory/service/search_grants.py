"""Delegated lecturer search: a training officer grants, lists and revokes the
search access of persons of their agency, within the agency type's quota.

A grant takes the agency's places lock (`store.lock_places`) before it counts
the places in use, so that concurrent grants count one after the other and the
quota holds under any number of them, on both databases. Revoking or expiry
frees a place at once: a place is in use only while a grant is active (not
revoked, and its end day not yet past in Taipei), which every count computes
afresh. The grant's effect, `speakers:search`, is added by principal
resolution (`store.principals.resolve`) while the grant is active."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.reach import check_agency
from services.common.transactions import begin_immediate
from services.directory.access import SEARCH_GRANTS
from services.directory.domain.account_rules import Breach
from services.directory.domain.search_grants import (
    SEARCH_PERMISSION,
    Grantee,
    GrantStatus,
    end_errors,
    grantee_errors,
    quota_errors,
    quota_for,
)
from services.directory.models import Agency, SearchGrant, personal_data_reads
from services.directory.roles import grants_family
from services.directory.store import accounts as account_store
from services.directory.store import agencies as agency_store
from services.directory.store import persons as person_store
from services.directory.store import search_grants as store
from services.directory.store.roles import load_roles

# Whether the grantee is in service and where they work is read about them.
RESOURCE = "directory:search-grants"
READ_FIELDS = "agency,in_service"


@dataclass(frozen=True)
class Places:
    quota: int
    in_use: int

    @property
    def free(self) -> int:
        return max(self.quota - self.in_use, 0)


def _agency(session: Session, principal: Principal, code: str) -> Agency:
    """The agency, when the caller grants search for it: 403 without the grant
    permission at agency level, 404 for an agency outside its scope or missing."""
    check_agency(principal, SEARCH_GRANTS, code)
    agency = agency_store.get_agency(session, code)
    if agency is None:
        raise NotFound("no such agency")
    return agency


def places(session: Session, agency: Agency, today: date) -> Places:
    return Places(
        quota=quota_for(agency.type, store.quotas(session)),
        in_use=store.count_active(session, agency.code, today),
    )


def _grantee(session: Session, account_name: str, today: date) -> Grantee | None:
    account = account_store.get_account(session, account_name)
    if account is None:
        return None
    person = person_store.get_person(session, account.person_id)
    roles = account_store.roles_of(session, [account.name]).get(account.name, [])
    permissions = {p for role in load_roles(session, roles).values() for p in role.permissions}
    return Grantee(
        account=account.name,
        kind=account.kind,
        account_status=account.status,
        person_agency=person.agency_code if person is not None else "",
        person_status=person.status if person is not None else "unknown",
        searches_by_role=any(grants_family(p, SEARCH_PERMISSION) for p in permissions),
        has_active_grant=store.active_grant_of(session, account.name, today) is not None,
    )


def _errors(breaches: Iterable[Breach]) -> list[FieldError]:
    return [FieldError(field=b.field, reason=b.reason, code=b.code) for b in breaches]


def grant(
    session: Session,
    principal: Principal,
    code: str,
    account_name: str,
    ends_on: date,
    *,
    today: date,
    now: datetime,
) -> SearchGrant:
    """Authorise `account_name` to search the lecturer directory until `ends_on`.

    Refused with every rule broken named: 422 when the request itself cannot
    be granted (the grantee, the end date), with the quota's breach listed too
    when the places are also all taken; 409 when only the places are. Both
    refusals give `quota` and `in_use`."""
    # Immediate on SQLite before the first read (a request opens it so), and
    # the places row's lock on PostgreSQL.
    begin_immediate(session)
    agency = _agency(session, principal, code)
    store.lock_places(session, agency.code, now)
    grantee = _grantee(session, account_name, today)
    account = account_store.get_account(session, account_name)
    if account is not None:
        record_personal_data_read(
            session, personal_data_reads, principal, [account.person_id], RESOURCE, READ_FIELDS
        )
    held = places(session, agency, today)
    invalid = [*grantee_errors(grantee, agency.code), *end_errors(ends_on, today)]
    full = quota_errors(held.quota, held.in_use)
    extra = {"quota": held.quota, "in_use": held.in_use}
    if invalid:
        raise Invalid(
            "; ".join(b.reason for b in invalid),
            slug="search-grant-rule",
            title="Refused by a search grant rule",
            errors=_errors([*invalid, *full]),
            extra=extra,
        )
    if full:
        raise Conflict(
            full[0].reason,
            slug="search-quota-reached",
            title="Every search place of the agency is in use",
            errors=_errors(full),
            extra=extra,
        )
    assert account is not None  # grantee_errors refuses an unknown account
    row = store.add_grant(
        session,
        SearchGrant(
            agency_code=agency.code,
            grantee_account=account.name,
            grantee_person_id=account.person_id,
            granted_by=principal.sub,
            granted_at=now,
            ends_on=ends_on,
        ),
    )
    store.mark_changed(session, agency.code, now)
    return row


def list_grants(
    session: Session,
    principal: Principal,
    code: str,
    params: PageParams,
    *,
    today: date,
    statuses: Iterable[GrantStatus] = (),
    account: str | None = None,
) -> tuple[list[SearchGrant], str | None, Places]:
    """A page of the agency's grants (newest first) and its places now."""
    agency = _agency(session, principal, code)
    rows, cursor = store.list_grants(
        session, agency.code, params, today, statuses=statuses, account=account
    )
    return rows, cursor, places(session, agency, today)


def read_grant(session: Session, principal: Principal, code: str, grant_id: int) -> SearchGrant:
    agency = _agency(session, principal, code)
    row = store.get_grant(session, grant_id)
    if row is None or row.agency_code != agency.code:
        raise NotFound("no such search grant")
    return row


def revoke(
    session: Session,
    principal: Principal,
    code: str,
    grant_id: int,
    reason: str,
    *,
    today: date,
    now: datetime,
) -> SearchGrant:
    """End an active grant now: its place is free for the next grant at once,
    and the grantee's next principal resolution no longer carries the search."""
    begin_immediate(session)
    row = read_grant(session, principal, code, grant_id)
    if row.revoked_at is not None:
        raise Conflict("this search grant is already revoked", slug="search-grant-revoked")
    if row.ends_on < today:
        raise Conflict("this search grant has already expired", slug="search-grant-expired")
    store.lock_places(session, row.agency_code, now)
    if not store.revoke(session, row, principal.sub, reason, now):
        raise Conflict("this search grant is already revoked", slug="search-grant-revoked")
    store.mark_changed(session, row.agency_code, now)
    return row


def end_grants_of(
    session: Session, account: str, by: str, reason: str, *, today: date, now: datetime
) -> list[SearchGrant]:
    """Revoke the account's active grant (an account review revoking the
    account and its roles takes the delegated search with them)."""
    row = store.active_grant_of(session, account, today)
    if row is None:
        return []
    store.lock_places(session, row.agency_code, now)
    return [row] if store.revoke(session, row, by, reason, now) else []
