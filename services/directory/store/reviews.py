"""Account review campaigns and the facts a review is made of."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from services.common.errors import Conflict
from services.common.pagination import PageParams, paginate
from services.directory.domain.review_rules import AccountFacts, RoleGrant
from services.directory.models import (
    Account,
    AccountReviewCampaign,
    AccountReviewItem,
    AccountRole,
    Person,
    RoleUsage,
)
from services.directory.store.accounts import roles_of


def accounts_in(session: Session, agencies: list[str]) -> list[tuple[Account, AccountFacts]]:
    """Every account registered in `agencies`, with what a review needs to know."""
    if not agencies:
        return []
    rows = session.execute(
        select(Account, col(Person.status))
        .outerjoin(Person, col(Person.id) == col(Account.person_id))
        .where(col(Account.agency_code).in_(sorted(set(agencies))))
        .order_by(col(Account.name))
    ).all()
    held = roles_of(session, [account.name for account, _ in rows])
    return [
        (
            account,
            AccountFacts(
                name=account.name,
                kind=account.kind,
                status=account.status,
                created_at=account.created_at,
                last_used_at=account.last_used_at,
                allowed_networks=tuple(account.allowed_networks),
                roles=tuple(held.get(account.name, [])),
                person_in_service=person_status == "active",
            ),
        )
        for account, person_status in rows
    ]


def role_grants_of(session: Session, accounts: list[str]) -> list[RoleGrant]:
    """The roles `accounts` hold, each with its grant day and last day of use."""
    grants: list[RoleGrant] = []
    names = sorted(set(accounts))
    for start in range(0, len(names), 1_000):
        rows = session.execute(
            select(
                col(AccountRole.account),
                col(AccountRole.role),
                col(AccountRole.granted_on),
                col(RoleUsage.last_used_on),
            )
            .outerjoin(
                RoleUsage,
                (col(RoleUsage.account) == col(AccountRole.account))
                & (col(RoleUsage.role) == col(AccountRole.role)),
            )
            .where(col(AccountRole.account).in_(names[start : start + 1_000]))
        ).all()
        grants.extend(RoleGrant(a, r, granted, used) for a, r, granted, used in rows)
    return grants


def create_campaign(
    session: Session, campaign: AccountReviewCampaign, items: list[AccountReviewItem]
) -> AccountReviewCampaign:
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
            assert campaign.id is not None
            for item in items:
                item.campaign_id = campaign.id
                session.add(item)
    except IntegrityError:
        # The partial unique index: another campaign of this agency is open.
        raise Conflict("a review of this agency's accounts is already open") from None
    return campaign


def open_campaign_of(session: Session, agency_code: str) -> AccountReviewCampaign | None:
    return session.execute(
        select(AccountReviewCampaign)
        .where(col(AccountReviewCampaign.agency_code) == agency_code)
        .where(col(AccountReviewCampaign.status) == "open")
    ).scalar_one_or_none()


def get_campaign(session: Session, campaign_id: int) -> AccountReviewCampaign | None:
    return session.get(AccountReviewCampaign, campaign_id)


def list_campaigns(
    session: Session,
    visible: ColumnElement[bool],
    params: PageParams,
    *,
    agency: str | None = None,
    status: str | None = None,
) -> tuple[list[AccountReviewCampaign], str | None]:
    stmt = select(AccountReviewCampaign).where(visible)
    if agency is not None:
        stmt = stmt.where(col(AccountReviewCampaign.agency_code) == agency)
    if status is not None:
        stmt = stmt.where(col(AccountReviewCampaign.status) == status)
    return paginate(session, stmt, col(AccountReviewCampaign.id), params)


def items_of(session: Session, campaign_id: int) -> list[AccountReviewItem]:
    return list(
        session.execute(
            select(AccountReviewItem)
            .where(col(AccountReviewItem.campaign_id) == campaign_id)
            .order_by(col(AccountReviewItem.account))
        ).scalars()
    )


def item_counts(session: Session, campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    """campaign id → (items, items without a decision)."""
    if not campaign_ids:
        return {}
    rows = session.execute(
        select(col(AccountReviewItem.campaign_id), col(AccountReviewItem.decision), func.count())
        .where(col(AccountReviewItem.campaign_id).in_(campaign_ids))
        .group_by(col(AccountReviewItem.campaign_id), col(AccountReviewItem.decision))
    ).all()
    total: Counter[int] = Counter()
    undecided: Counter[int] = Counter()
    for campaign_id, decision, count in rows:
        total[campaign_id] += count
        if decision is None:
            undecided[campaign_id] += count
    return {cid: (total[cid], undecided[cid]) for cid in campaign_ids}


def get_item(session: Session, campaign_id: int, account: str) -> AccountReviewItem | None:
    return session.get(AccountReviewItem, (campaign_id, account))


def record_decision(
    session: Session,
    item: AccountReviewItem,
    *,
    decision: str,
    reason: str,
    reviewer: str,
    now: datetime,
) -> bool:
    """Record the decision unless one is already there; False when it was.

    A conditional UPDATE, so two reviewers deciding the same account at once
    cannot both win, on SQLite or PostgreSQL."""
    result = session.execute(
        update(AccountReviewItem)
        .where(col(AccountReviewItem.campaign_id) == item.campaign_id)
        .where(col(AccountReviewItem.account) == item.account)
        .where(col(AccountReviewItem.decision).is_(None))
        .values(decision=decision, reason=reason, decided_by=reviewer, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(item)
    return True


def record_roles_removed(
    session: Session, item: AccountReviewItem, roles: list[str]
) -> AccountReviewItem:
    """Note on the item the roles a revocation took away."""
    item.roles_removed = roles
    session.add(item)
    session.flush()
    return item


def close_campaign(
    session: Session, campaign: AccountReviewCampaign, reviewer: str, now: datetime
) -> bool:
    """Close the campaign if it is open and every item is decided; False otherwise."""
    undecided = (
        select(func.count())
        .select_from(AccountReviewItem)
        .where(col(AccountReviewItem.campaign_id) == campaign.id)
        .where(col(AccountReviewItem.decision).is_(None))
        .scalar_subquery()
    )
    result = session.execute(
        update(AccountReviewCampaign)
        .where(col(AccountReviewCampaign.id) == campaign.id)
        .where(col(AccountReviewCampaign.status) == "open")
        .where(undecided == 0)
        .values(status="closed", closed_by=reviewer, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(campaign)
    return True
