"""Account review (帳號權限妥適性及帳號留存必要性): a report per agency, and review
campaigns in which a reviewer confirms or revokes each account, on the record."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.db import SessionDep
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_RESPONSES
from services.common.ids import Id
from services.common.pagination import Page, PageDep
from services.directory.api.deps import (
    OPEN_FOR_WRITING,
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
)
from services.directory.models import AccountReviewCampaign, AccountReviewItem
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
from services.directory.service import reviews

router = APIRouter(tags=["account-reviews"], dependencies=[WRITES_OPEN_IMMEDIATE])
IdleDaysQuery = Annotated[
    int | None,
    Query(ge=1, le=3650, description="Idle threshold in days; default DIRECTORY_REVIEW_IDLE_DAYS"),
]
SubordinatesQuery = Annotated[bool, Query(description="Include the agencies below")]


def _reviewed(flagged: reviews.Flagged) -> ReviewedAccount:
    return ReviewedAccount.model_validate(
        {
            **flagged.account.model_dump(),
            "person_in_service": flagged.facts.person_in_service,
            "roles": list(flagged.facts.roles),
            "idle_days": flagged.idle_days,
            "findings": flagged.findings,
        }
    )


def _item_out(item: AccountReviewItem) -> ReviewItemOut:
    return ReviewItemOut.model_validate(item, from_attributes=True)


def _summary(campaign: AccountReviewCampaign, total: int, undecided: int) -> ReviewCampaignSummary:
    return ReviewCampaignSummary.model_validate(
        {**campaign.model_dump(), "items_total": total, "items_open": undecided}
    )


def _campaign_out(
    campaign: AccountReviewCampaign, items: list[AccountReviewItem]
) -> ReviewCampaignOut:
    undecided = sum(1 for i in items if i.decision is None)
    summary = _summary(campaign, len(items), undecided)
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
    found = reviews.report(session, principal, code, days, include_subordinates)
    listed = {
        finding: [_reviewed(f) for f in flagged] for finding, flagged in found.by_finding.items()
    }
    return AccountReviewReport(
        agency_code=found.agency_code,
        agencies=found.agencies,
        idle_days=found.idle_days,
        as_of=found.as_of,
        accounts=found.accounts,
        idle=listed[IDLE],
        machine_without_owner=listed[MACHINE_WITHOUT_OWNER],
        machine_without_allow_list=listed[MACHINE_WITHOUT_ALLOW_LIST],
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
            for role, grants in found.unused_roles.items()
        ],
        holders_left=listed[HOLDER_LEFT],
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
    return _campaign_out(
        *reviews.open_campaign(session, principal, code, days, body.include_subordinates)
    )


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
    rows, cursor = reviews.list_campaigns(session, principal, page, agency=agency, status=status)
    return Page[ReviewCampaignSummary](
        items=[_summary(c.campaign, c.items_total, c.items_open) for c in rows],
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
    return _campaign_out(*reviews.read_campaign(session, principal, campaign_id))


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
    return _item_out(reviews.decide(session, principal, campaign_id, account, body))


@router.post(
    "/account-reviews/{campaign_id}/close",
    summary="Close a campaign once every account in it is decided",
    response_model=ReviewCampaignOut,
    responses=CONFLICT_RESPONSES,
)
def close_account_review(
    session: SessionDep, principal: ReviewsWriter, campaign_id: Id
) -> ReviewCampaignOut:
    return _campaign_out(*reviews.close(session, principal, campaign_id))
