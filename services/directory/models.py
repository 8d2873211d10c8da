"""Tables of the directory database, on a metadata no other service shares."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from services.common.audit import personal_data_reads_table
from services.common.columns import one_of, utc_column
from services.common.db import new_registry
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.timeutil import now_utc, today_taipei

_registry = new_registry()
metadata = _registry.metadata

AGENCY_TYPES = ("competent_authority", "subordinate", "training_institution", "school")
PERSON_STATUSES = ("active", "left", "deceased")
ACCOUNT_KINDS = ("human", "machine", "service")
ACCOUNT_STATUSES = ("active", "disabled")
CAMPAIGN_STATUSES = ("open", "closed")
REVIEW_DECISIONS = ("confirm", "revoke")


class DirectoryTable(SQLModel, registry=_registry):
    """Base class of every directory table."""


class Agency(DirectoryTable, table=True):
    __tablename__ = "agencies"
    __table_args__ = (one_of("type", AGENCY_TYPES),)

    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)
    type: str = Field(max_length=32)
    parent_code: str | None = Field(
        default=None, foreign_key="agencies.code", index=True, max_length=16
    )
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class Unit(DirectoryTable, table=True):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("agency_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_code: str = Field(foreign_key="agencies.code", index=True, max_length=16)
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)


class Person(DirectoryTable, table=True):
    __tablename__ = "persons"
    __table_args__ = (one_of("status", PERSON_STATUSES),)

    # An opaque personnel id: never the national ID.
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    agency_code: str = Field(foreign_key="agencies.code", index=True, max_length=16)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    supervisor_id: str | None = Field(
        default=None, foreign_key="persons.id", index=True, max_length=64
    )
    status: str = Field(default="active", max_length=16)
    status_changed_on: date | None = None
    national_id_hmac: str | None = Field(default=None, unique=True, max_length=64)
    national_id_masked: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    source: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class Role(DirectoryTable, table=True):
    __tablename__ = "roles"
    __table_args__ = (one_of("account_kind", ACCOUNT_KINDS),)

    name: str = Field(primary_key=True, max_length=64)
    # Human roles go to human accounts only, machine roles to machine accounts
    # only, service roles to the accounts of renshi's own components only.
    account_kind: str = Field(max_length=16)
    description: str = Field(max_length=200)


class RolePermission(DirectoryTable, table=True):
    __tablename__ = "role_permissions"

    role: str = Field(foreign_key="roles.name", primary_key=True, max_length=64)
    permission: str = Field(primary_key=True, max_length=128)


class Account(DirectoryTable, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        one_of("kind", ACCOUNT_KINDS),
        one_of("status", ACCOUNT_STATUSES),
        # A machine account nobody can explain is a shared account in disguise.
        CheckConstraint("kind = 'human' OR purpose IS NOT NULL", name="machine_purpose"),
    )

    name: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    # Human: the person using it. Machine or service: the person answerable for it.
    person_id: str = Field(foreign_key="persons.id", index=True, max_length=64)
    purpose: str | None = Field(default=None, max_length=500)
    agency_code: str = Field(foreign_key="agencies.code", index=True, max_length=16)
    include_subordinates: bool = False
    status: str = Field(default="active", max_length=16)
    allowed_networks: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    last_used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    disabled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # Why, in words an account administrator may read: never the holder's
    # personal circumstances (whether they left or died is a personnel record).
    disabled_reason: str | None = Field(default=None, max_length=200)


class AccountRole(DirectoryTable, table=True):
    __tablename__ = "account_roles"

    account: str = Field(foreign_key="accounts.name", primary_key=True, max_length=64)
    role: str = Field(foreign_key="roles.name", primary_key=True, index=True, max_length=64)
    # The Taipei day the role was granted (kept while the account holds it): a
    # role granted recently is not yet "unused" in the account review.
    granted_on: date = Field(default_factory=today_taipei)


class RoleUsage(DirectoryTable, table=True):
    """The last Taipei day an account used a role it holds: a request the gateway
    allowed needed a permission family the role grants. Goes with the grant."""

    __tablename__ = "role_usage"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account", "role"],
            ["account_roles.account", "account_roles.role"],
            ondelete="CASCADE",
        ),
    )

    account: str = Field(primary_key=True, max_length=64)
    role: str = Field(primary_key=True, max_length=64)
    last_used_on: date


class ClientSecret(DirectoryTable, table=True):
    __tablename__ = "client_secrets"

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(foreign_key="accounts.name", index=True, max_length=64)
    secret_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    expires_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class AccountReviewCampaign(DirectoryTable, table=True):
    """One periodic review of an agency's accounts (帳號權限妥適性及帳號留存必要性)."""

    __tablename__ = "account_review_campaigns"
    __table_args__ = (
        one_of("status", CAMPAIGN_STATUSES),
        # One open campaign per agency: two would ask the same question twice
        # and could reach opposite answers.
        Index(
            "uq_account_review_campaigns_open_agency",
            "agency_code",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_code: str = Field(foreign_key="agencies.code", index=True, max_length=16)
    # The agencies whose accounts were listed: the agency, and its subordinates
    # when asked for, as far as the reviewer's scope reached.
    agencies: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    idle_days: int
    status: str = Field(default="open", max_length=16)
    opened_by: str = Field(max_length=64)
    opened_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    closed_by: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class AccountReviewItem(DirectoryTable, table=True):
    """An account as it stood when the campaign opened, and the decision on it."""

    __tablename__ = "account_review_items"
    __table_args__ = (
        one_of("decision", REVIEW_DECISIONS),
        CheckConstraint(
            "(decision IS NULL AND decided_at IS NULL AND decided_by IS NULL)"
            " OR (decision IS NOT NULL AND decided_at IS NOT NULL AND decided_by IS NOT NULL"
            " AND reason IS NOT NULL)",
            name="decided_with_reason",
        ),
    )

    campaign_id: int = Field(foreign_key="account_review_campaigns.id", primary_key=True)
    account: str = Field(foreign_key="accounts.name", primary_key=True, index=True, max_length=64)
    kind: str = Field(max_length=16)
    agency_code: str = Field(max_length=16)
    person_id: str = Field(max_length=64)
    account_status: str = Field(max_length=16)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    findings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    decision: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    roles_removed: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The lecturer-search grant the account held when listed (id, ends_on,
    # granted_by, granted_at), or None: a delegated permission is reviewed
    # beside the roles.
    search_grant: dict[str, object] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class SearchGrantQuota(DirectoryTable, table=True):
    """How many non-training persons an agency of this type may authorise to
    search the lecturer directory at once (授權查詢人員名額): data, not code."""

    __tablename__ = "search_grant_quotas"
    __table_args__ = (
        one_of("agency_type", AGENCY_TYPES),
        CheckConstraint("quota >= 0", name="quota_not_negative"),
    )

    agency_type: str = Field(primary_key=True, max_length=32)
    quota: int


class SearchGrantPlaces(DirectoryTable, table=True):
    """One row per agency that has granted lecturer search: the row every grant
    of the agency locks first, so that two grants at once count one after the
    other and never pass the quota together."""

    __tablename__ = "search_grant_places"

    agency_code: str = Field(foreign_key="agencies.code", primary_key=True, max_length=16)
    changed_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class SearchGrant(DirectoryTable, table=True):
    """Lecturer-search access a training officer gave a person of their agency
    (授權查詢人員), until `ends_on` (a Taipei day, inclusive) or its revocation."""

    __tablename__ = "search_grants"
    __table_args__ = (
        CheckConstraint(
            "(revoked_at IS NULL AND revoked_by IS NULL AND revoked_reason IS NULL)"
            " OR (revoked_at IS NOT NULL AND revoked_by IS NOT NULL"
            " AND revoked_reason IS NOT NULL)",
            name="revoked_with_reason",
        ),
        Index("ix_search_grants_agency_ends_on", "agency_code", "ends_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_code: str = Field(foreign_key="agencies.code", max_length=16)
    grantee_account: str = Field(foreign_key="accounts.name", index=True, max_length=64)
    grantee_person_id: str = Field(foreign_key="persons.id", max_length=64)
    granted_by: str = Field(max_length=64)
    granted_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    ends_on: date
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    revoked_by: str | None = Field(default=None, max_length=64)
    revoked_reason: str | None = Field(default=None, max_length=500)


personal_data_reads = personal_data_reads_table(metadata)


class PersonImportJob(DirectoryTable, StoredImportJob, table=True):
    """A person import (`services.common.importing`); `source` is "persons"."""

    __tablename__ = "import_jobs"
    __table_args__ = (UniqueConstraint("source", "idempotency_key"),)

    # Human accounts disabled because the file records their holder as gone.
    accounts_disabled: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class PersonImportError(DirectoryTable, StoredImportError, table=True):
    __tablename__ = "import_errors"

    job_id: int = Field(foreign_key="import_jobs.id", index=True)
