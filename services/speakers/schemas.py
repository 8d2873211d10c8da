"""Request and response bodies of the speakers service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.decimals import Decimal2
from services.common.ids import Id

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,16}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LecturerCreate(Strict):
    name: Name
    organisation: Annotated[str, StringConstraints(max_length=200)] = ""
    expertise: list[Annotated[str, StringConstraints(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=20
    )


class LecturerOut(BaseModel):
    id: int
    name: str
    organisation: str
    expertise: list[str]
    active: bool
    created_at: datetime


class EngagementCreate(Strict):
    class_ref: Annotated[
        str,
        StringConstraints(pattern=r"^[A-Za-z0-9:._-]{1,80}$"),
        Field(description="The caller's reference to the class, e.g. training:CLS-2026-01"),
    ]
    session_number: int = Field(ge=1, le=1000)
    lecturer_id: Id
    agency_code: AgencyCode
    held_on: date
    hours: Decimal2 = Field(gt=0, le=24, max_digits=7, decimal_places=2)
    topic: Annotated[str, StringConstraints(max_length=300)] = ""


class EngagementOut(BaseModel):
    id: int
    class_ref: str
    session_number: int
    lecturer_id: int
    agency_code: str
    held_on: date
    hours: Decimal2
    topic: str
    recorded_by: str
    recorded_at: datetime
