"""Request and response models of staffing: the search, the team proposal and
the agency summary. No national ID or contact data is ever in them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.certs.domain.catalogue import Kind, TalentRole
from services.certs.schemas import CODE_PATTERN, Day
from services.certs.talent_schemas import LevelName
from services.common.decimals import Decimal2
from services.common.pagination import Page

AgencyCode = Annotated[str, Field(min_length=1, max_length=16)]
Hours = Annotated[Decimal2, Field(ge=0, le=10000, max_digits=7, decimal_places=2)]


class HeldCertificateOut(BaseModel):
    certificate_id: int
    catalogue_code: str = Field(description="The catalogue entry")
    name: str
    kind: Kind
    level: str = Field(description="The catalogue's words")
    level_order: LevelName = Field(
        description="The catalogue version's `level_rank`: the rank the rules compare"
    )
    obtained_on: date
    expires_on: date | None = Field(
        description="The day it lapses (valid through the day before); null: it does not"
    )


class StaffingPersonOut(BaseModel):
    person_id: str
    agency_code: str
    unit_id: str
    roles: list[TalentRole] = Field(description="Live AI-talent roles, assigned by duties")
    certificates: list[HeldCertificateOut] = Field(
        description="Every certificate valid on the day asked"
    )
    ai_hours: Decimal2 = Field(description="AI hours of the year asked (0 when none recorded)")


class AgencyCount(BaseModel):
    agency_code: str
    persons: int


class StaffingSearchPage(Page[StaffingPersonOut]):
    total: int = Field(description="Persons the search finds, over every page")
    agency_counts: list[AgencyCount] = Field(
        description="Persons the search finds per agency, over every page"
    )
    valid_on: date
    year: int


# ------------------------------------------------------------ team proposal


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlotAsk(_Strict):
    role: TalentRole
    count: Annotated[int, Field(ge=1, le=50)]


class TeamProposalAsk(_Strict):
    slots: Annotated[list[SlotAsk], Field(min_length=1, max_length=12)]
    agency_codes: Annotated[list[AgencyCode], Field(max_length=50)] | None = Field(
        default=None, description="Only persons working in these agencies; all in scope if none"
    )
    subordinates: bool = Field(
        default=False, description="Each agency named with its subordinates (the directory's)"
    )
    kinds: Annotated[list[Kind], Field(max_length=4)] | None = Field(
        default=None, description="Only persons with a valid certificate of one of these kinds"
    )
    catalogue_codes: (
        Annotated[list[Annotated[str, Field(pattern=CODE_PATTERN)]], Field(max_length=50)] | None
    ) = Field(default=None, description="Only persons with a valid certificate of these entries")
    min_ai_hours: Hours | None = None
    valid_on: Day | None = Field(default=None, description="Taipei day; today by default")
    year: Annotated[int, Field(ge=1912, le=9999)] | None = Field(
        default=None, description="Year of the AI hours; the year of `valid_on` by default"
    )
    alternates: Annotated[int, Field(ge=0, le=20)] = Field(
        default=3, description="Further ranked candidates listed per slot"
    )
    allow_repeats: bool = Field(
        default=False, description="Let one person be placed in several slots"
    )

    @field_validator("agency_codes", "kinds", "catalogue_codes")
    @classmethod
    def _distinct(cls, values: list[str] | None) -> list[str] | None:
        if values is not None and len(set(values)) != len(values):
            raise ValueError("each value once")
        return values


class CandidateOut(BaseModel):
    rank: int = Field(description="1 is the best candidate of the slot")
    person_id: str
    agency_code: str
    unit_id: str
    role_certificates: list[str] = Field(
        description="Catalogue codes of the valid certificates supporting the slot's role"
    )
    best_level: LevelName | None
    ai_hours: Decimal2
    stage: str = Field(description="Learning-path stage: entry, advanced or hands_on")
    stage_reason: str
    reasons: list[str] = Field(description="Why this rank, in the order the ranking weighs")


class SlotOut(BaseModel):
    index: int = Field(description="The slot's place in the composition asked, from 0")
    role: TalentRole
    wanted: int
    placed: list[CandidateOut]
    alternates: list[CandidateOut]
    eligible: int = Field(description="Persons holding the role and meeting the filters")
    shortfall: int = Field(description="Seats left empty")
    unfilled_reason: str | None = Field(description="Why seats are empty; null when filled")
    fill_order: int = Field(description="Slots are filled scarcest first: this slot's turn")


class TeamProposalOut(BaseModel):
    complete: bool = Field(description="Every seat of every slot is filled")
    valid_on: date
    year: int
    agencies: list[str] | None = Field(description="The agencies searched; null: all in scope")
    slots: list[SlotOut]


# ------------------------------------------------------------ agency summary


class SummaryRowOut(BaseModel):
    agency_code: str
    kind: Kind
    policy: int
    application: int
    development: int
    research: int
    no_role: int = Field(description="Holders with no live talent role")
    persons: int = Field(description="Distinct holders (a person of two roles counts once)")


class TalentSummaryOut(BaseModel):
    agency_code: str
    agencies: list[str] = Field(description="The agencies counted")
    valid_on: date
    valid_on_roc: str
    rows: list[SummaryRowOut]
