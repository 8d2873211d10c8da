"""The AI-hours feed: each person's AI hours of a year, with when they changed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.common.decimals import Decimal2
from services.common.pagination import Page


class AiHoursOut(BaseModel):
    person_id: str
    year: int = Field(description="The Taipei calendar year the records were completed in")
    ai_hours: Decimal2 = Field(description="AI知能 hours of the year: basic + advanced")
    ai_basic_hours: Decimal2 = Field(description="Hours of records tagged basic only")
    ai_advanced_hours: Decimal2 = Field(
        description="Hours of records tagged advanced (a record tagged both counts here)"
    )
    changed_at: datetime = Field(description="When these figures last changed")
    agency_code: str | None = Field(
        default=None,
        description="The person's agency on training's roster; null when the roster lacks them",
    )
    unit_id: str | None = Field(
        default=None, description='The person\'s unit on the roster ("" when none)'
    )


class AiHoursPage(Page[AiHoursOut]):
    until: datetime | None = Field(
        default=None,
        description=(
            "The latest change this pull covers, fixed by its first page: pass it as "
            "`changed_since` of the next pull. Null when nothing has changed yet."
        ),
    )


class PersonAiHoursOut(BaseModel):
    person_id: str
    year: int = Field(description="The Taipei calendar year asked")
    ai_hours: Decimal2 = Field(description="AI知能 hours of the year: basic + advanced")
    ai_basic_hours: Decimal2 = Field(description="Hours of records tagged basic only")
    ai_advanced_hours: Decimal2 = Field(
        description="Hours of records tagged advanced (a record tagged both counts here)"
    )
    changed_at: datetime | None = Field(
        description="When these figures last changed; null when no AI record of the year exists"
    )
    agency_code: str | None = Field(description="The person's agency on training's roster")
    unit_id: str | None = Field(description="The person's unit on training's roster")
