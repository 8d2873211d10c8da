"""An agency's staff list, as the directory (or HR) pushes it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from services.training.schemas.common import PersonId, Strict


class StaffMember(Strict):
    person_id: PersonId
    unit_id: Annotated[str, StringConstraints(max_length=32)] = ""


class StaffList(Strict):
    persons: list[StaffMember] = Field(max_length=100_000)


class RosterResult(BaseModel):
    agency_code: str
    listed: int
    removed: int
