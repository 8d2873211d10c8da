"""Lecturer-search grants, the quotas per agency type and each agency's places row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from services.common.pagination import PageParams, paginate
from services.directory.domain.search_grants import POLICY_QUOTAS, GrantStatus
from services.directory.models import SearchGrant, SearchGrantPlaces, SearchGrantQuota


def quotas(session: Session) -> dict[str, int]:
    return {q.agency_type: q.quota for q in session.execute(select(SearchGrantQuota)).scalars()}


def sync_policy_quotas(session: Session) -> None:
    """Give every agency type without a quota row the policy's quota (what the
    migration seeds); rows already there, possibly changed as data, stay."""
    stored = quotas(session)
    for agency_type, quota in POLICY_QUOTAS.items():
        if agency_type not in stored:
            session.add(SearchGrantQuota(agency_type=agency_type, quota=quota))
    session.flush()


def lock_places(session: Session, agency_code: str, now: datetime) -> None:
    """Take the agency's places lock, held until the transaction ends: every
    grant of the agency takes it before counting, so concurrent grants count
    one after the other. The row is made on first use (a no-op when it exists,
    also when another transaction makes it at the same moment).

    PostgreSQL: the row itself, FOR UPDATE. SQLite has no row locks: there the
    request opened its transaction with BEGIN IMMEDIATE, whose database write
    lock serialises it."""
    table = SearchGrantPlaces.__table__  # type: ignore[attr-defined]
    values = {"agency_code": agency_code, "changed_at": now}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(table).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(table).values(values).on_conflict_do_nothing())
    session.execute(
        select(col(SearchGrantPlaces.agency_code))
        .where(col(SearchGrantPlaces.agency_code) == agency_code)
        .with_for_update()
    )


def mark_changed(session: Session, agency_code: str, now: datetime) -> None:
    session.execute(
        update(SearchGrantPlaces)
        .where(col(SearchGrantPlaces.agency_code) == agency_code)
        .values(changed_at=now)
        .execution_options(synchronize_session=False)
    )


def _active(today: date) -> ColumnElement[bool]:
    return and_(col(SearchGrant.revoked_at).is_(None), col(SearchGrant.ends_on) >= today)


def _with_status(status: GrantStatus, today: date) -> ColumnElement[bool]:
    if status == "active":
        return _active(today)
    if status == "expired":
        return and_(col(SearchGrant.revoked_at).is_(None), col(SearchGrant.ends_on) < today)
    return col(SearchGrant.revoked_at).is_not(None)


def count_active(session: Session, agency_code: str, today: date) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(SearchGrant)
            .where(col(SearchGrant.agency_code) == agency_code, _active(today))
        ).scalar_one()
    )


def active_grant_of(session: Session, account: str, today: date) -> SearchGrant | None:
    """The account's active grant (at most one: grants of an agency take turns
    under its places lock, and a second is refused while one is active)."""
    return session.execute(
        select(SearchGrant)
        .where(col(SearchGrant.grantee_account) == account, _active(today))
        .order_by(col(SearchGrant.id))
        .limit(1)
    ).scalar_one_or_none()


def active_grants_of(
    session: Session, accounts: Iterable[str], today: date
) -> dict[str, SearchGrant]:
    names = sorted(set(accounts))
    out: dict[str, SearchGrant] = {}
    for start in range(0, len(names), 1_000):
        rows = session.execute(
            select(SearchGrant)
            .where(col(SearchGrant.grantee_account).in_(names[start : start + 1_000]))
            .where(_active(today))
            .order_by(col(SearchGrant.id))
        ).scalars()
        for grant in rows:
            out.setdefault(grant.grantee_account, grant)
    return out


def get_grant(session: Session, grant_id: int) -> SearchGrant | None:
    return session.get(SearchGrant, grant_id)


def add_grant(session: Session, grant: SearchGrant) -> SearchGrant:
    session.add(grant)
    session.flush()
    return grant


def revoke(session: Session, grant: SearchGrant, by: str, reason: str, now: datetime) -> bool:
    """Revoke the grant unless it is revoked already; a conditional UPDATE, so
    two revocations at once record one. False when it was revoked before."""
    result = session.execute(
        update(SearchGrant)
        .where(col(SearchGrant.id) == grant.id, col(SearchGrant.revoked_at).is_(None))
        .values(revoked_at=now, revoked_by=by, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    session.refresh(grant)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_grants(
    session: Session,
    agency_code: str,
    params: PageParams,
    today: date,
    *,
    statuses: Iterable[GrantStatus] = (),
    account: str | None = None,
) -> tuple[list[SearchGrant], str | None]:
    """A page of the agency's grants, newest first."""
    stmt = select(SearchGrant).where(col(SearchGrant.agency_code) == agency_code)
    wanted = list(statuses)
    if wanted:
        stmt = stmt.where(or_(*(_with_status(s, today) for s in wanted)))
    if account is not None:
        stmt = stmt.where(col(SearchGrant.grantee_account) == account)
    return paginate(session, stmt, col(SearchGrant.id), params, descending=True)
