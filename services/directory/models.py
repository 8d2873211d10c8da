"""Tables of the directory database, on a metadata no other service shares."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.audit import personal_data_reads_table
from services.common.db import new_registry
from services.common.timeutil import now_utc
from services.directory.timestamps import UtcDateTime

_registry = new_registry()
metadata = _registry.metadata

AGENCY_TYPES = ("competent_authority", "subordinate", "training_institution", "school")
PERSON_STATUSES = ("active", "left", "deceased")
ACCOUNT_KINDS = ("human", "machine")
ACCOUNT_STATUSES = ("active", "disabled")


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


def _utc(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(UtcDateTime(), nullable=nullable)


class DirectoryTable(SQLModel, registry=_registry):
    """Base class of every directory table."""


class Agency(DirectoryTable, table=True):
    __tablename__ = "agencies"
    __table_args__ = (_one_of("type", AGENCY_TYPES),)

    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)
    type: str = Field(max_length=32)
    parent_code: str | None = Field(default=None, foreign_key="agencies.code", index=True,
                                    max_length=16)
    created_at: datetime = Field(default_factory=now_utc, sa_column=_utc())
    updated_at: datetime = Field(default_factory=now_utc, sa_column=_utc())


class Unit(DirectoryTable, table=True):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("agency_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_code: str = Field(foreign_key="agencies.code", index=True, max_length=16)
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)


class Person(DirectoryTable, table=True):
    __tablename__ = "persons"
    __table_args__ = (_one_of("status", PERSON_STATUSES),)

    # An opaque personnel id: never the national ID.
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    agency_code: str = Field(foreign_key="agencies.code", index=True, max_length=16)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    supervisor_id: str | None = Field(default=None, foreign_key="persons.id", index=True,
                                      max_length=64)
    status: str = Field(default="active", max_length=16)
    status_changed_on: date | None = None
    national_id_hmac: str | None = Field(default=None, unique=True, max_length=64)
    national_id_masked: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    source: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=now_utc, sa_column=_utc())


class Role(DirectoryTable, table=True):
    __tablename__ = "roles"
    __table_args__ = (_one_of("account_kind", ACCOUNT_KINDS),)

    name: str = Field(primary_key=True, max_length=64)
    # Human roles go to human accounts only, machine roles to machine accounts only.
    account_kind: str = Field(max_length=16)
    description: str = Field(max_length=200)


class RolePermission(DirectoryTable, table=True):
    __tablename__ = "role_permissions"

    role: str = Field(foreign_key="roles.name", primary_key=True, max_length=64)
    permission: str = Field(primary_key=True, max_length=128)


class Account(DirectoryTable, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        _one_of("kind", ACCOUNT_KINDS),
        _one_of("status", ACCOUNT_STATUSES),
        # A machine account nobody can explain is a shared account in disguise.
        CheckConstraint("kind = 'human' OR purpose IS NOT NULL", name="machine_purpose"),
    )

    name: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    # Human: the person using it. Machine: the person answerable for it.
    person_id: str = Field(foreign_key="persons.id", index=True, max_length=64)
    purpose: str | None = Field(default=None, max_length=500)
    agency_code: str = Field(foreign_key="agencies.code", index=True, max_length=16)
    include_subordinates: bool = False
    status: str = Field(default="active", max_length=16)
    allowed_networks: list[str] = Field(default_factory=list,
                                        sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=now_utc, sa_column=_utc())
    last_used_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    disabled_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class AccountRole(DirectoryTable, table=True):
    __tablename__ = "account_roles"

    account: str = Field(foreign_key="accounts.name", primary_key=True, max_length=64)
    role: str = Field(foreign_key="roles.name", primary_key=True, index=True, max_length=64)


class ClientSecret(DirectoryTable, table=True):
    __tablename__ = "client_secrets"

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(foreign_key="accounts.name", index=True, max_length=64)
    secret_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=now_utc, sa_column=_utc())
    expires_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


personal_data_reads = personal_data_reads_table(metadata)
