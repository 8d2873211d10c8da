"""Request and response bodies of the directory API."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
)

from services.common.ids import MAX_ID, Id
from services.common.importing.schemas import ImportProgress
from services.common.timeutil import parse_any_date
from services.directory.domain import national_id
from services.directory.domain.networks import normalise_network

AgencyType = Literal["competent_authority", "subordinate", "training_institution", "school"]
PersonStatus = Literal["active", "left", "deceased"]
AccountKind = Literal["human", "machine", "service"]
AccountStatus = Literal["active", "disabled"]


def _national_id(value: str) -> str:
    # The reason only: pydantic and the error handler never echo the input.
    return national_id.validate(value)


def _roc_or_iso_date(value: object) -> object:
    if isinstance(value, str):
        try:
            return parse_any_date(value)
        except ValueError:
            raise ValueError("expected a date such as 2026-01-02 or 115/01/02") from None
    return value


AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,16}$")]
UnitCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,32}$")]
PersonnelId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
AccountName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]{1,64}$")]
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
NationalId = Annotated[str, StringConstraints(max_length=16), AfterValidator(_national_id)]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN)
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()#-]{5,31}$")
]
FlexibleDate = Annotated[date, BeforeValidator(_roc_or_iso_date)]
Network = Annotated[str, StringConstraints(max_length=64), AfterValidator(normalise_network)]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Networks = Annotated[list[Network], Field(max_length=50), AfterValidator(_unique)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- agencies and units -----------------------------------------------------


class AgencyOut(BaseModel):
    code: str
    name: str
    type: AgencyType
    parent_code: str | None
    created_at: datetime
    updated_at: datetime


class AgencyCreate(Strict):
    code: AgencyCode
    name: LongName
    type: AgencyType
    parent_code: AgencyCode | None = None


class AgencyUpdate(Strict):
    """Only the fields sent are changed; `parent_code: null` makes a top-level agency."""

    name: LongName | None = None
    type: AgencyType | None = None
    parent_code: AgencyCode | None = None


class AgencySubtree(BaseModel):
    code: str
    codes: list[str] = Field(description="The agency and all its descendants, sorted")


class UnitOut(BaseModel):
    id: int
    agency_code: str
    code: str
    name: str


class UnitCreate(Strict):
    code: UnitCode
    name: LongName


# --- persons ----------------------------------------------------------------


class PersonSummary(BaseModel):
    id: str
    name: str
    agency_code: str
    unit_id: int | None
    status: PersonStatus


class RosterEntry(BaseModel):
    """A person in service as a roster needs them: who, and in which unit."""

    id: str
    unit_id: int | None


class PersonOut(PersonSummary):
    supervisor_id: str | None
    status_changed_on: date | None
    national_id_masked: str | None = Field(description="e.g. A12****789; never the full number")
    email: str | None
    phone: str | None
    source: str
    updated_at: datetime


class PersonCreate(Strict):
    id: PersonnelId
    name: DisplayName
    agency_code: AgencyCode
    unit_id: Id | None = None
    supervisor_id: PersonnelId | None = None
    status: PersonStatus = "active"
    status_changed_on: FlexibleDate | None = None
    national_id: NationalId | None = Field(
        default=None, description="Kept only as a keyed hash and a masked form"
    )
    email: Email | None = None
    phone: Phone | None = None


class PersonUpdate(Strict):
    """Only the fields sent are changed; null clears an optional field."""

    name: DisplayName | None = None
    agency_code: AgencyCode | None = None
    unit_id: Id | None = None
    supervisor_id: PersonnelId | None = None
    status: PersonStatus | None = None
    status_changed_on: FlexibleDate | None = None
    national_id: NationalId | None = None
    email: Email | None = None
    phone: Phone | None = None


class ImportRowError(BaseModel):
    row: int = Field(description="Data row number, 1 for the first row after any header")
    field: str = Field(description="Column at fault, or `line` for the line as a whole")
    reason: str
    code: str = Field(description="Stable machine code of the reason")


class ImportReport(BaseModel):
    job_id: int = Field(description="Read it again at /persons/imports/{job_id}")
    status: str = Field(
        description="queued, running, completed, interrupted (resume by re-posting) or failed"
    )
    format: Literal["csv", "jsonl"]
    dry_run: bool
    rows: int = Field(description="Data rows read (blank lines counted, as row numbers are)")
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[ImportRowError]
    errors_truncated: bool = Field(
        default=False, description="More rows failed than `errors` lists; see `failed`"
    )
    accounts_disabled: int = Field(
        default=0,
        description="Human accounts disabled because their holder is no longer in service "
        "(in a dry run: that would be)",
    )
    failure: str | None = Field(default=None, description="Why a failed job stopped")
    progress: ImportProgress


# --- matching persons by national ID (service-only) ---------------------------

# The most numbers one call may send: a training import batch (20,000 rows) at once.
MAX_MATCHED_NATIONAL_IDS = 20_000
# Anything shaped like a national ID or resident certificate number, in any case.
_NATIONAL_ID_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]\d{8}")


def _purpose(value: str) -> str:
    if _NATIONAL_ID_SHAPE.search(value):
        raise ValueError("must not contain anything shaped like a national ID")
    return value


# Recorded in the personal-data read log: words, not personal data.
MatchPurpose = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9 #():._/-]{3,100}$"),
    AfterValidator(_purpose),
]


class PersonMatchRequest(Strict):
    purpose: MatchPurpose = Field(
        description="Why the numbers are matched, e.g. `training import elearn #12`; "
        "written to the read log"
    )
    # Long enough for a number with stray blanks; validity is answered per item, so
    # that one bad number does not refuse the batch.
    national_ids: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        min_length=1, max_length=MAX_MATCHED_NATIONAL_IDS
    )


class PersonMatch(BaseModel):
    index: int = Field(description="Position of the number in the request")
    status: Literal["found", "not_found", "invalid"]
    person_id: str | None = Field(default=None, description="Set when found")
    reason: str | None = Field(
        default=None, description="Why the number is invalid; never the number itself"
    )


class PersonMatchReport(BaseModel):
    results: list[PersonMatch] = Field(description="One per requested number, in its order")


# --- matching for a queued import, as the importing service ------------------


class ImportMatchRequest(Strict):
    """A service's import job asking, as the service, what its importer could ask."""

    purpose: MatchPurpose = Field(description="Why, e.g. `training import elearn #12`")
    importer: AccountName = Field(description="The account that started the import")
    import_job: int = Field(
        ge=1, le=MAX_ID, description="The import job's id in the calling service"
    )
    agencies: list[AgencyCode] = Field(
        min_length=1,
        max_length=500,
        description="The agencies the importer writes for, as its job keeps them: only "
        "persons of these are answered, and each must be within the importer's reach",
    )
    national_ids: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, max_length=MAX_MATCHED_NATIONAL_IDS
    )
    person_ids: list[PersonnelId] = Field(
        default_factory=list,
        max_length=1000,
        description="Personnel ids whose agency and unit are wanted",
    )


class ImportMatchPerson(BaseModel):
    id: str
    agency_code: str
    unit_id: int | None


class ImportMatchReport(BaseModel):
    results: list[PersonMatch] = Field(description="One per requested number, in its order")
    persons: list[ImportMatchPerson] = Field(
        description="The requested persons found in the agencies named; the others are "
        "unknown or elsewhere, alike"
    )


# --- accounts ---------------------------------------------------------------


class RoleOut(BaseModel):
    name: str
    account_kind: str = Field(description="human, machine or service: who may hold it")
    description: str
    permissions: list[str]


class AccountOut(BaseModel):
    name: str
    kind: AccountKind
    person_id: str
    purpose: str | None
    agency_code: str
    include_subordinates: bool
    status: AccountStatus
    allowed_networks: list[str]
    roles: list[str]
    created_at: datetime
    last_used_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None


class AccountCreate(Strict):
    name: AccountName
    kind: AccountKind
    person_id: PersonnelId = Field(
        description="Human: the person using it. Machine: the person answerable for it"
    )
    purpose: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = None
    agency_code: AgencyCode
    include_subordinates: bool = False
    roles: list[RoleName] = Field(default_factory=list, max_length=20)
    allowed_networks: Networks = Field(default_factory=list)


class AccountUpdate(Strict):
    purpose: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = None
    person_id: PersonnelId | None = Field(
        default=None,
        description="Machine accounts only: a new person answerable for the account "
        "(who must be in service); a human account stays bound to its holder",
    )
    agency_code: AgencyCode | None = None
    include_subordinates: bool | None = None
    allowed_networks: Networks | None = None


class AccountRoles(Strict):
    roles: list[RoleName] = Field(max_length=20)


class ClientSecretOut(BaseModel):
    id: int
    account: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ClientSecretCreate(Strict):
    expires_at: datetime | None = Field(
        default=None,
        description="Set when rotating: the old secret keeps working until then",
    )


class NewClientSecret(ClientSecretOut):
    secret: str = Field(description="Shown this once; only a hash is kept")


# --- principals (for the gateway) ----------------------------------------------


class ResolvedPrincipal(BaseModel):
    account: str
    kind: AccountKind
    status: AccountStatus
    person_id: str | None = Field(
        description="The person a human account belongs to; null for machine accounts, "
        "which act as no person"
    )
    agency_code: str
    agency_scope: list[str] = Field(
        description="The account's agency, plus all its descendants when include_subordinates"
    )
    roles: list[str]
    permissions: list[str] = Field(description="Union of the roles' permissions, sorted")
    allowed_networks: list[str]
    person_status: PersonStatus | None = Field(
        description="Status of the account's person (human) or owner (machine)"
    )


class ClientCredentials(Strict):
    client_id: Annotated[str, StringConstraints(max_length=64)]
    client_secret: SecretStr = Field(max_length=256)


# The most entries one usage report may carry: what the gateway holds at most
# (gateway/usage.py MAX_ENTRIES), so that it reports in one call.
MAX_USAGE_ENTRIES = 100_000
# A route's permission family: a grant without its scope (`training:records:read`).
PermissionFamily = Annotated[
    str, StringConstraints(max_length=128, pattern=r"^[a-z]+(:[a-z_-]+){1,3}$")
]


class UsageEntry(Strict):
    # Not the account-name pattern: a name the directory does not know is ignored,
    # and one odd name must not make the gateway's whole batch fail.
    account: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    permission: PermissionFamily = Field(
        description="The permission family the allowed request needed"
    )
    used_on: date = Field(description="The Taipei day of the request")


class UsageReport(Strict):
    entries: list[UsageEntry] = Field(min_length=1, max_length=MAX_USAGE_ENTRIES)


class UsageRecorded(BaseModel):
    entries: int = Field(description="Entries received")
    unknown_accounts: int = Field(description="Accounts the directory does not know (ignored)")
    roles_recorded: int = Field(
        description="(account, role) pairs whose last day of use was written or confirmed"
    )


# --- account reviews ------------------------------------------------------------

Finding = Literal["idle", "machine_without_owner", "machine_without_allow_list", "holder_left"]
ReviewDecisionKind = Literal["confirm", "revoke"]
CampaignStatus = Literal["open", "closed"]
IdleDays = Annotated[int, Field(ge=1, le=3650)]
UNUSED_ROLES_NOTE = (
    "Roles that active accounts hold but have not used in idle_days days: granted more "
    "than idle_days ago, and no request the gateway allowed in that time needed a "
    "permission the role grants (a role granted recently is not listed). Use is "
    "recorded per Taipei day."
)


class ReviewedAccount(BaseModel):
    name: str
    kind: AccountKind
    agency_code: str
    person_id: str = Field(description="The holder (human) or the person answerable (machine)")
    person_in_service: bool = Field(
        description="Whether that person is still in service; why not is not disclosed"
    )
    status: AccountStatus
    roles: list[str]
    allowed_networks: list[str]
    created_at: datetime
    last_used_at: datetime | None
    idle_days: int = Field(description="Whole days since last use, or since creation if never")
    disabled_at: datetime | None
    disabled_reason: str | None
    findings: list[Finding]


class UnusedRoleGrant(BaseModel):
    account: str
    granted_on: date = Field(description="Taipei day the account was given the role")
    last_used_on: date | None = Field(description="Taipei day of its last use; null if never")


class UnusedRole(BaseModel):
    role: str
    accounts: list[UnusedRoleGrant] = Field(
        description="Accounts holding the role without using it, by name"
    )


class AccountReviewReport(BaseModel):
    agency_code: str
    agencies: list[str] = Field(description="Agencies whose accounts were examined")
    idle_days: int
    as_of: datetime
    accounts: int = Field(description="Accounts examined")
    idle: list[ReviewedAccount] = Field(
        description="Active accounts unused for more than idle_days (never used: created "
        "more than idle_days ago)"
    )
    machine_without_owner: list[ReviewedAccount] = Field(
        description="Active machine accounts whose answerable person is no longer in service "
        "(the gateway refuses them until a new owner is named)"
    )
    machine_without_allow_list: list[ReviewedAccount] = Field(
        description="Active machine accounts with no source networks"
    )
    unused_roles: list[UnusedRole] = Field(description=UNUSED_ROLES_NOTE)
    holders_left: list[ReviewedAccount] = Field(
        description="Human accounts, active or not, whose holder is no longer in service"
    )


class ReviewCampaignCreate(Strict):
    idle_days: IdleDays | None = Field(
        default=None, description="Threshold for the `idle` finding; default from settings"
    )
    include_subordinates: bool = Field(
        default=False, description="List the accounts of the agencies below too"
    )


class ReviewedSearchGrant(BaseModel):
    """A delegated lecturer-search grant, as an account review lists it."""

    id: int
    ends_on: date = Field(description="Last Taipei day of the grant (inclusive)")
    granted_by: str = Field(description="The training officer's account")
    granted_at: datetime


class ReviewItemOut(BaseModel):
    account: str
    kind: AccountKind
    agency_code: str
    person_id: str
    account_status: AccountStatus = Field(description="The account's status when listed")
    roles: list[str] = Field(description="The roles held when listed")
    last_used_at: datetime | None
    findings: list[Finding]
    decision: ReviewDecisionKind | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    roles_removed: list[str]
    search_grant: ReviewedSearchGrant | None = Field(
        default=None,
        description="The lecturer-search grant the account held when listed, if any",
    )


class ReviewCampaignSummary(BaseModel):
    id: int
    agency_code: str
    agencies: list[str]
    idle_days: int
    status: CampaignStatus
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    items_total: int
    items_open: int = Field(description="Items still without a decision")


class ReviewCampaignOut(ReviewCampaignSummary):
    items: list[ReviewItemOut]


class ReviewDecision(Strict):
    decision: ReviewDecisionKind
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    remove_roles: bool = Field(
        default=False, description="With revoke: also take away every role the account holds"
    )


# --- delegated lecturer search ----------------------------------------------

SearchGrantStatus = Literal["active", "expired", "revoked"]


class SearchGrantCreate(Strict):
    account: AccountName = Field(description="The grantee's own human account")
    ends_on: FlexibleDate = Field(
        description="Last Taipei day the grant gives search (inclusive): today at the "
        "earliest, the same day a year on at the latest; ISO or ROC (115/03/31)"
    )


class SearchGrantRevoke(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SearchGrantOut(BaseModel):
    id: int
    agency_code: str
    account: str = Field(description="The grantee's account")
    person_id: str = Field(description="The grantee's personnel id")
    granted_by: str
    granted_at: datetime
    ends_on: date = Field(description="Last Taipei day of the grant (inclusive)")
    status: SearchGrantStatus = Field(
        description="active until the end of ends_on in Taipei; expired after; revoked "
        "when a training officer (or an account review) ended it"
    )
    revoked_at: datetime | None
    revoked_by: str | None
    revoked_reason: str | None


class SearchGrantPage(BaseModel):
    """The list envelope, with the agency's places now."""

    items: list[SearchGrantOut]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; absent on the last page"
    )
    limit: int
    quota: int = Field(description="Search places of the agency (by its type)")
    in_use: int = Field(description="Active grants now; training officers take none")
    free: int = Field(description="Places left for new grants")
