"""Request and response models of the certs service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.certs.domain.catalogue import Kind, Sector, TalentRole
from services.certs.domain.levels import words_described
from services.certs.domain.workflow import State
from services.certs.talent_schemas import LevelName
from services.common.bounds_dates import BoundedDate
from services.common.ids import Id

Day = BoundedDate
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Reason = Annotated[str, Field(max_length=500)]
# Longer than any published validity (a career's length at most).
ValidityMonths = Annotated[int, Field(ge=1, le=600)]
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
LeadDay = Annotated[int, Field(ge=1, le=366)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------- catalogue


class CatalogueFields(_Strict):
    """What a catalogue version says."""

    name: Text200
    issuer: Text200
    kind: Kind
    level: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="The level in the issuer's words, as an HR officer knows it"
    )
    level_rank: LevelName | None = Field(
        default=None,
        description=(
            "The rank the rules compare (staffing search, team proposal, learning-path "
            "stage, promotion points). Omitted or null: read from `level`'s words, the "
            "first group named winning (" + words_described() + "), and basic when "
            "`level` names none of them. A change is a whole version: give the rank again "
            "to keep one the words do not say."
        ),
    )
    roles: Annotated[list[TalentRole], Field(min_length=1, max_length=4)]
    validity_months: ValidityMonths | None = Field(
        default=None, description="Months a certificate stays valid; null: it does not lapse"
    )
    validity_note: Annotated[str, Field(max_length=300)] | None = None
    sector: Sector
    recognised_from: Day | None = Field(
        default=None,
        description="Certificates obtained from this day are recognised; null: not yet",
    )
    recognised_until: Day | None = None

    @field_validator("roles")
    @classmethod
    def _distinct_roles(cls, roles: list[TalentRole]) -> list[TalentRole]:
        if len(set(roles)) != len(roles):
            raise ValueError("each role once")
        return sorted(roles)


class CatalogueEntryCreate(CatalogueFields):
    code: Annotated[
        str, Field(pattern=CODE_PATTERN, description="Stable code, e.g. aws-ai-practitioner")
    ]


class CatalogueVersionOut(BaseModel):
    id: int
    entry_id: int
    version: int
    name: str
    issuer: str
    kind: Kind
    level: str = Field(description="The level in the issuer's words")
    level_rank: LevelName = Field(description="The rank the rules compare")
    roles: list[TalentRole]
    validity_months: int | None
    validity_note: str | None
    sector: Sector
    recognised_from: date | None
    recognised_until: date | None
    created_by: str
    created_at: datetime
    superseded_at: datetime | None


class CatalogueEntryOut(BaseModel):
    id: int
    code: str
    retired_at: datetime | None
    retired_by: str | None
    current: CatalogueVersionOut


class CatalogueRetire(_Strict):
    reason: Reason | None = None


# --------------------------------------------------------------- certificates


class CertificateSubmit(_Strict):
    catalogue_version_id: Id
    certificate_number: Annotated[str, Field(min_length=1, max_length=100)]
    obtained_on: Day
    issuer: Text200 | None = Field(
        default=None, description="As printed on the certificate; must be the catalogue's issuer"
    )


class CertificateRenew(_Strict):
    catalogue_version_id: Id | None = Field(
        default=None, description="The version renewed against; default: the entry's current one"
    )
    certificate_number: Annotated[str, Field(min_length=1, max_length=100)]
    obtained_on: Day


class Decision(_Strict):
    reason: Reason | None = None


class EvidenceOut(BaseModel):
    sha256: str
    media_type: str
    bytes: int


class CertificateOut(BaseModel):
    id: int
    person_id: str
    agency_code: str
    catalogue_version_id: int
    issuer: str
    certificate_number: str
    obtained_on: date
    expires_on: date | None
    state: State
    source: str
    previous_id: int | None
    registered_by: str
    registered_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    evidence: EvidenceOut | None


class EventOut(BaseModel):
    id: int
    from_state: State | None
    to_state: State
    actor: str
    at: datetime
    reason: str | None


# --------------------------------------------------------------- warnings


class LeadTimesIn(_Strict):
    lead_days: Annotated[list[LeadDay], Field(min_length=1, max_length=10)]

    @field_validator("lead_days")
    @classmethod
    def _distinct(cls, days: list[int]) -> list[int]:
        if len(set(days)) != len(days):
            raise ValueError("each lead time once")
        return sorted(days, reverse=True)


class LeadTimesOut(BaseModel):
    agency_code: str
    lead_days: list[int]
    default: bool = Field(description="True when the agency has none of its own")
    updated_by: str
    updated_at: datetime


class NoticeOut(BaseModel):
    id: int
    kind: str
    issued_on: date
    subject: str
    certificate_id: int
    body: dict[str, Any]


# --------------------------------------------------------------- imports


class CertificateImportRow(_Strict):
    """One certificate of an import: registered as submitted, for an HR officer of
    the holder's agency to verify, idempotent by issuer and number."""

    person_id: Annotated[str, Field(min_length=1, max_length=64)]
    agency_code: Annotated[str, Field(min_length=1, max_length=16)]
    catalogue_code: Annotated[str, Field(pattern=CODE_PATTERN)]
    certificate_number: Annotated[str, Field(min_length=1, max_length=100)]
    obtained_on: Day
