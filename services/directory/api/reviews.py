"""Account review (帳號權限妥適性及帳號留存必要性): a report per agency, and review
campaigns in which a reviewer confirms or revokes each account, on the record."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.db import SessionDep
from services.common.errors import (
    CONFLICT_RESPONSES,
    PROBLEM_RESPONSES,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
)
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.common.principal import Principal
from services.common.reach import outside
from services.common.timeutil import now_utc, taipei_date
from services.directory.access import reach
from services.directory.api.deps import (
    OPEN_FOR_WRITING,
    REVIEWS_READ,
    REVIEWS_WRITE,
    WRITES_OPEN_IMMEDIATE,
    ReviewsReader,
    ReviewsWriter,
    SettingsDep,
)
from services.directory.domain.review_rules import (
    HOLDER_LEFT,
    IDLE,
    MACHINE_WITHOUT_ALLOW_LIST,
    MACHINE_WITHOUT_OWNER,
    AccountFacts,
    findings,
    idle_for_days,
    unused_roles,
)
from services.directory.models import (
    Account,
    AccountReviewCampaign,
    AccountReviewItem,
    personal_data_reads,
)
from services.directory.schemas import (
    AccountReviewReport,
    AgencyCode,
    CampaignStatus,
    ReviewCampaignCreate,
    ReviewCampaignOut,
    ReviewCampaignSummary,
    ReviewDecision,
    ReviewedAccount,
    ReviewItemOut,
    UnusedRole,
    UnusedRoleGrant,
)
from services.directory.service import accounts as account_use_cases
from services.directory.store import accounts as account_store
from services.directory.store import agencies as agency_store
from services.directory.store import reviews as store

router = APIRouter(tags=["account-reviews"], dependencies=[WRITES_OPEN_IMMEDIATE])
IdleDaysQuery = Annotated[
    int | None,
    Query(ge=1, le=3650, description="Idle threshold in days; default DIRECTORY_REVIEW_IDLE_DAYS"),
]
SubordinatesQuery = Annotated[bool, Query(description="Include the agencies below")]
# Whether someone is still in service is a fact about them: reading it is audited.
RESOURCE = "directory:account-reviews"
READ_FIELDS = "in_service"
ABOUT_A_PERSON = (MACHINE_WITHOUT_OWNER, HOLDER_LEFT)


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


def _reviewed(
    account: Account, facts: AccountFacts, found: list[str], idle_days: int
) -> ReviewedAccount:
    return ReviewedAccount.model_validate(
        {
            **account.model_dump(),
            "person_in_service": facts.person_in_service,
            "roles": list(facts.roles),
            "idle_days": idle_days,
            "findings": found,
        }
    )


def _audit(session: Session, principal: Principal, flagged: list[tuple[str, list[str]]]) -> None:
    persons = sorted({pid for pid, found in flagged if any(f in ABOUT_A_PERSON for f in found)})
    record_personal_data_read(
        session, personal_data_reads, principal, persons, RESOURCE, READ_FIELDS
    )


def _item_out(item: AccountReviewItem) -> ReviewItemOut:
    return ReviewItemOut.model_validate(item, from_attributes=True)


def _summary(campaign: AccountReviewCampaign, counts: tuple[int, int]) -> ReviewCampaignSummary:
    return ReviewCampaignSummary.model_validate(
        {**campaign.model_dump(), "items_total": counts[0], "items_open": counts[1]}
    )


def _campaign_out(
    campaign: AccountReviewCampaign, items: list[AccountReviewItem]
) -> ReviewCampaignOut:
    undecided = sum(1 for i in items if i.decision is None)
    summary = _summary(campaign, (len(items), undecided))
    return ReviewCampaignOut(**summary.model_dump(), items=[_item_out(i) for i in items])


@router.get(
    "/agencies/{code}/account-review",
    summary="Accounts needing review: idle, machine accounts without owner or allow-list, "
    "roles unused in idle_days days, holders who left",
    response_model=AccountReviewReport,
    dependencies=[OPEN_FOR_WRITING],
)
def account_review_report(
    session: SessionDep,
    principal: ReviewsReader,
    settings: SettingsDep,
    code: str,
    idle_days: IdleDaysQuery = None,
    include_subordinates: SubordinatesQuery = False,
) -> AccountReviewReport:
    days = idle_days or settings.review_idle_days
    agencies = _agencies(session, principal, REVIEWS_READ, code, include_subordinates)
    now = now_utc()
    examined = store.accounts_in(session, agencies)
    by_finding: dict[str, list[ReviewedAccount]] = {
        IDLE: [],
        MACHINE_WITHOUT_OWNER: [],
        MACHINE_WITHOUT_ALLOW_LIST: [],
        HOLDER_LEFT: [],
    }
    flagged: list[tuple[str, list[str]]] = []
    for account, facts in examined:
        found: list[str] = list(findings(facts, now, days))
        if not found:
            continue
        flagged.append((account.person_id, found))
        entry = _reviewed(account, facts, found, idle_for_days(facts, now))
        for finding in found:
            by_finding[finding].append(entry)
    _audit(session, principal, flagged)
    # Only active accounts can use their roles: a disabled one's are a question
    # about the account, which the reviewer answers as a whole.
    active = [account.name for account, _ in examined if account.status == "active"]
    unused = unused_roles(store.role_grants_of(session, active), taipei_date(now), days)
    return AccountReviewReport(
        agency_code=code,
        agencies=agencies,
        idle_days=days,
        as_of=now,
        accounts=len(examined),
        idle=by_finding[IDLE],
        machine_without_owner=by_finding[MACHINE_WITHOUT_OWNER],
        machine_without_allow_list=by_finding[MACHINE_WITHOUT_ALLOW_LIST],
        unused_roles=[
            UnusedRole(
                role=role,
                accounts=[
                    UnusedRoleGrant(
                        account=g.account, granted_on=g.granted_on, last_used_on=g.last_used_on
                    )
                    for g in grants
                ],
            )
            for role, grants in unused.items()
        ],
        holders_left=by_finding[HOLDER_LEFT],
    )


@router.post(
    "/agencies/{code}/account-reviews",
    summary="Open a review campaign listing every account of the agency as an item",
    response_model=ReviewCampaignOut,
    status_code=201,
    responses=CONFLICT_RESPONSES,
)
def open_account_review(
    session: SessionDep,
    principal: ReviewsWriter,
    settings: SettingsDep,
    code: str,
    body: ReviewCampaignCreate | None = None,
) -> ReviewCampaignOut:
    body = body or ReviewCampaignCreate()
    days = body.idle_days or settings.review_idle_days
    agencies = _agencies(session, principal, REVIEWS_WRITE, code, body.include_subordinates)
    if store.open_campaign_of(session, code) is not None:
        raise Conflict("a review of this agency's accounts is already open")
    now = now_utc()
    items: list[AccountReviewItem] = []
    flagged: list[tuple[str, list[str]]] = []
    for account, facts in store.accounts_in(session, agencies):
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
    return _campaign_out(campaign, items)


@router.get(
    "/account-reviews",
    summary="List account review campaigns within reach",
    response_model=Page[ReviewCampaignSummary],
)
def list_account_reviews(
    session: SessionDep,
    principal: ReviewsReader,
    page: PageDep,
    agency: AgencyCode | None = None,
    status: CampaignStatus | None = None,
) -> Page[ReviewCampaignSummary]:
    visible = reach(session, principal, REVIEWS_READ).clause(
        agency=AccountReviewCampaign.agency_code
    )
    rows, cursor = store.list_campaigns(session, visible, page, agency=agency, status=status)
    counts = store.item_counts(session, [c.id for c in rows if c.id is not None])
    return Page[ReviewCampaignSummary](
        items=[_summary(c, counts.get(c.id or 0, (0, 0))) for c in rows],
        next_cursor=cursor,
        limit=page.limit,
    )


@router.get(
    "/account-reviews/{campaign_id}",
    summary="One account review campaign with its items and decisions",
    response_model=ReviewCampaignOut,
    dependencies=[OPEN_FOR_WRITING],
)
def get_account_review(
    session: SessionDep, principal: ReviewsReader, campaign_id: Id
) -> ReviewCampaignOut:
    campaign = _campaign(session, principal, REVIEWS_READ, campaign_id)
    items = store.items_of(session, campaign_id)
    _audit(session, principal, [(i.person_id, list(i.findings)) for i in items])
    return _campaign_out(campaign, items)


@router.post(
    "/account-reviews/{campaign_id}/items/{account}",
    summary="Confirm or revoke one account; revoking disables it (and may remove its roles)",
    response_model=ReviewItemOut,
    responses={
        409: {
            **PROBLEM_RESPONSES[500],
            "description": "The campaign is closed, the account already decided, or "
            "revoking it is refused by an account rule (last_system_admin)",
        }
    },
)
def decide_account_review_item(
    session: SessionDep,
    principal: ReviewsWriter,
    campaign_id: Id,
    account: str,
    body: ReviewDecision,
) -> ReviewItemOut:
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
            item.roles_removed = sorted(held)
            session.add(item)
            session.flush()
    return _item_out(item)


@router.post(
    "/account-reviews/{campaign_id}/close",
    summary="Close a campaign once every account in it is decided",
    response_model=ReviewCampaignOut,
    responses=CONFLICT_RESPONSES,
)
def close_account_review(
    session: SessionDep, principal: ReviewsWriter, campaign_id: Id
) -> ReviewCampaignOut:
    campaign = _campaign(session, principal, REVIEWS_WRITE, campaign_id)
    if campaign.status != "open":
        raise Conflict("this account review is already closed")
    if not store.close_campaign(session, campaign, principal.sub, now_utc()):
        items = store.items_of(session, campaign_id)
        undecided = sum(1 for i in items if i.decision is None)
        raise Conflict(f"{undecided} account(s) in this review are still undecided")
    return _campaign_out(campaign, store.items_of(session, campaign_id))
