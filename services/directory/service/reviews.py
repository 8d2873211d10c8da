"""Account review use cases (帳號權限妥適性及帳號留存必要性): the report of what
needs a reviewer's attention, and review campaigns.

A campaign moves one way only: opened (one open campaign per agency, every
account of its agencies an item) → each item decided once, confirm or revoke
(revoking disables the account, and may take its roles away) → closed, once no
item is left undecided. Both steps are conditional UPDATEs in the store, so two
reviewers at once cannot decide one account twice, nor close a campaign beside
a decision still being made. Reading whether an account's person is still in
service is reading about that person: each such read is in the personal-data
read log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import Conflict, FieldError, Forbidden, Invalid
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.reach import outside
from services.common.timeutil import now_utc, taipei_date
from services.directory.access import REVIEWS_READ, REVIEWS_WRITE, reach
from services.directory.domain.review_rules import (
    HOLDER_LEFT,
    IDLE,
    MACHINE_WITHOUT_ALLOW_LIST,
    MACHINE_WITHOUT_OWNER,
    AccountFacts,
    Finding,
    RoleGrant,
    findings,
    idle_for_days,
    unused_roles,
)
from services.directory.models import (
    Account,
    AccountReviewCampaign,
    AccountReviewItem,
    SearchGrant,
    personal_data_reads,
)
from services.directory.schemas import ReviewDecision
from services.directory.service import accounts as account_use_cases
from services.directory.service import search_grants
from services.directory.store import accounts as account_store
from services.directory.store import agencies as agency_store
from services.directory.store import reviews as store
from services.directory.store import search_grants as grant_store

# Whether someone is still in service is a fact about them: reading it is audited.
RESOURCE = "directory:account-reviews"
READ_FIELDS = "in_service"
ABOUT_A_PERSON = (MACHINE_WITHOUT_OWNER, HOLDER_LEFT)


@dataclass(frozen=True)
class Flagged:
    """An account the report lists, with what was found about it."""

    account: Account
    facts: AccountFacts
    findings: list[str]
    idle_days: int


@dataclass(frozen=True)
class Report:
    agency_code: str
    agencies: list[str]
    idle_days: int
    as_of: datetime
    accounts: int
    # Every finding, each with the accounts it was found on (possibly none).
    by_finding: dict[Finding, list[Flagged]]
    # role → its unused grants, by account.
    unused_roles: dict[str, list[RoleGrant]]


@dataclass(frozen=True)
class CountedCampaign:
    """A campaign as listed: with how many items it has, and how many are undecided."""

    campaign: AccountReviewCampaign
    items_total: int
    items_open: int


def _agencies(
    session: Session, principal: Principal, permission: str, code: str, subordinates: bool
) -> list[str]:
    """The agency (404 when missing or out of reach) and, when asked, the agencies
    below it that `permission` also reaches."""
    allowed = reach(session, principal, permission)
    if agency_store.get_agency(session, code) is None or not allowed.covers(agency_code=code):
        raise outside(allowed.scopes, "no such agency")
    if not subordinates:
        return [code]
    return [c for c in agency_store.subtree_codes(session, code) if allowed.covers(agency_code=c)]


def _campaign(
    session: Session, principal: Principal, permission: str, campaign_id: int
) -> AccountReviewCampaign:
    campaign = store.get_campaign(session, campaign_id)
    allowed = reach(session, principal, permission)
    if campaign is None or not allowed.covers(agency_code=campaign.agency_code):
        raise outside(allowed.scopes, "no such account review")
    return campaign


def _audit(session: Session, principal: Principal, flagged: list[tuple[str, list[str]]]) -> None:
    persons = sorted({pid for pid, found in flagged if any(f in ABOUT_A_PERSON for f in found)})
    record_personal_data_read(
        session, personal_data_reads, principal, persons, RESOURCE, READ_FIELDS
    )


def _grant_listed(grant: SearchGrant | None) -> dict[str, object] | None:
    """The delegated search an account holds, as its review item records it."""
    if grant is None:
        return None
    return {
        "id": grant.id,
        "ends_on": grant.ends_on.isoformat(),
        "granted_by": grant.granted_by,
        "granted_at": grant.granted_at.isoformat(),
    }


def report(
    session: Session, principal: Principal, code: str, days: int, include_subordinates: bool
) -> Report:
    """What the accounts of the agency (and, when asked, those below) need a
    reviewer for: idle for more than `days` days, machine accounts without
    owner or allow-list, roles unused in `days` days, holders who left."""
    agencies = _agencies(session, principal, REVIEWS_READ, code, include_subordinates)
    now = now_utc()
    examined = store.accounts_in(session, agencies)
    by_finding: dict[Finding, list[Flagged]] = {
        IDLE: [],
        MACHINE_WITHOUT_OWNER: [],
        MACHINE_WITHOUT_ALLOW_LIST: [],
        HOLDER_LEFT: [],
    }
    flagged: list[tuple[str, list[str]]] = []
    for account, facts in examined:
        found = findings(facts, now, days)
        if not found:
            continue
        flagged.append((account.person_id, list(found)))
        entry = Flagged(account, facts, list(found), idle_for_days(facts, now))
        for finding in found:
            by_finding[finding].append(entry)
    _audit(session, principal, flagged)
    # Only active accounts can use their roles: a disabled one's are a question
    # about the account, which the reviewer answers as a whole.
    active = [account.name for account, _ in examined if account.status == "active"]
    unused = unused_roles(store.role_grants_of(session, active), taipei_date(now), days)
    return Report(
        agency_code=code,
        agencies=agencies,
        idle_days=days,
        as_of=now,
        accounts=len(examined),
        by_finding=by_finding,
        unused_roles=unused,
    )


def open_campaign(
    session: Session, principal: Principal, code: str, days: int, include_subordinates: bool
) -> tuple[AccountReviewCampaign, list[AccountReviewItem]]:
    """Open a campaign listing every account of the agencies as an item, with
    what a report would find about it now (409 when one is open already)."""
    agencies = _agencies(session, principal, REVIEWS_WRITE, code, include_subordinates)
    if store.open_campaign_of(session, code) is not None:
        raise Conflict("a review of this agency's accounts is already open")
    now = now_utc()
    items: list[AccountReviewItem] = []
    flagged: list[tuple[str, list[str]]] = []
    examined = store.accounts_in(session, agencies)
    grants = grant_store.active_grants_of(
        session, [account.name for account, _ in examined], taipei_date(now)
    )
    for account, facts in examined:
        found: list[str] = list(findings(facts, now, days))
        flagged.append((account.person_id, found))
        items.append(
            AccountReviewItem(
                campaign_id=0,  # set when the campaign row exists
                account=account.name,
                kind=account.kind,
                agency_code=account.agency_code,
                person_id=account.person_id,
                account_status=account.status,
                roles=list(facts.roles),
                last_used_at=account.last_used_at,
                findings=found,
                search_grant=_grant_listed(grants.get(account.name)),
            )
        )
    campaign = AccountReviewCampaign(
        agency_code=code,
        agencies=agencies,
        idle_days=days,
        opened_by=principal.sub,
        opened_at=now,
    )
    store.create_campaign(session, campaign, items)
    _audit(session, principal, flagged)
    return campaign, items


def list_campaigns(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    agency: str | None = None,
    status: str | None = None,
) -> tuple[list[CountedCampaign], str | None]:
    """One page of the campaigns within reach, each with its item counts."""
    visible = reach(session, principal, REVIEWS_READ).clause(
        agency=AccountReviewCampaign.agency_code
    )
    rows, cursor = store.list_campaigns(session, visible, params, agency=agency, status=status)
    counts = store.item_counts(session, [c.id for c in rows if c.id is not None])
    listed = [CountedCampaign(c, *counts.get(c.id or 0, (0, 0))) for c in rows]
    return listed, cursor


def read_campaign(
    session: Session, principal: Principal, campaign_id: int
) -> tuple[AccountReviewCampaign, list[AccountReviewItem]]:
    campaign = _campaign(session, principal, REVIEWS_READ, campaign_id)
    items = store.items_of(session, campaign_id)
    _audit(session, principal, [(i.person_id, list(i.findings)) for i in items])
    return campaign, items


def decide(
    session: Session, principal: Principal, campaign_id: int, account: str, body: ReviewDecision
) -> AccountReviewItem:
    """Record the reviewer's decision on one account of an open campaign.

    Revoking disables the account (and, when asked, takes its roles away); an
    account rule that forbids disabling it (the last system administrator)
    refuses the decision before anything is recorded, so the item stays open."""
    campaign = _campaign(session, principal, REVIEWS_WRITE, campaign_id)
    item = store.get_item(session, campaign_id, account)
    allowed = reach(session, principal, REVIEWS_WRITE)
    if item is None or not allowed.covers(agency_code=item.agency_code):
        raise outside(allowed.scopes, "no such account in this review")
    if body.remove_roles and body.decision != "revoke":
        raise Invalid(
            "roles are removed only when revoking",
            errors=[
                FieldError(
                    field="body.remove_roles",
                    reason="only with decision revoke",
                    code="revoke_only",
                )
            ],
        )
    if campaign.status != "open":
        raise Conflict("this account review is closed")
    if item.account == principal.sub:
        # Nobody vouches for their own account.
        raise Forbidden("a reviewer cannot decide on their own account")
    # The item's foreign key keeps its account.
    target = account_store.get_account(session, item.account) if body.decision == "revoke" else None
    if target is not None:
        # Before the decision is recorded: a refused revocation leaves it open.
        account_use_cases.check_disable(session, principal.sub, target)
    now = now_utc()
    if not store.record_decision(
        session,
        item,
        decision=body.decision,
        reason=body.reason,
        reviewer=principal.sub,
        now=now,
    ):
        raise Conflict("this account has already been decided in this review")
    if target is not None:
        account_store.disable(session, target, f"revoked in account review {campaign_id}", now)
        if body.remove_roles:
            held = account_store.roles_of(session, [item.account]).get(item.account, [])
            account_store.replace_roles(session, item.account, [])
            store.record_roles_removed(session, item, sorted(held))
            # A delegated search goes with the roles: it is a permission too.
            search_grants.end_grants_of(
                session,
                item.account,
                principal.sub,
                f"revoked in account review {campaign_id}",
                today=taipei_date(now),
                now=now,
            )
    return item


def close(
    session: Session, principal: Principal, campaign_id: int
) -> tuple[AccountReviewCampaign, list[AccountReviewItem]]:
    """Close an open campaign once every account in it is decided (409 otherwise)."""
    campaign = _campaign(session, principal, REVIEWS_WRITE, campaign_id)
    if campaign.status != "open":
        raise Conflict("this account review is already closed")
    if not store.close_campaign(session, campaign, principal.sub, now_utc()):
        items = store.items_of(session, campaign_id)
        undecided = sum(1 for i in items if i.decision is None)
        raise Conflict(f"{undecided} account(s) in this review are still undecided")
    return campaign, store.items_of(session, campaign_id)
