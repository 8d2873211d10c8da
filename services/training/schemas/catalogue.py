"""Categories, courses and training classes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from services.common.decimals import Decimal2
from services.common.ids import Id
from services.training.domain.topics import Topic
from services.training.schemas.common import AgencyCode, Code, PositiveHours, Source, Strict

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class CategoryIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CategoryOut(BaseModel):
    code: str
    name: str


class CourseCreate(Strict):
    source: Source
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    title: Title
    category_code: Code
    topics: list[Topic] = Field(default_factory=list, max_length=8)
    hours: PositiveHours | None = None
    is_digital: bool = False


class CourseOut(BaseModel):
    id: int
    source: str
    external_id: str
    title: str
    category_code: str
    topics: list[Topic]
    hours: Decimal2 | None
    is_digital: bool


class SessionIn(Strict):
    number: int = Field(ge=1, le=1000)
    held_on: date
    hours: PositiveHours
    topic: Annotated[str, StringConstraints(max_length=300)] = ""
    lecturer_ids: list[Id] = Field(default_factory=list, max_length=10)


class ClassCreate(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
    title: Title
    agency_code: AgencyCode
    course_id: Id | None = None
    sessions: list[SessionIn] = Field(default_factory=list, max_length=100)


class SessionLecturerOut(BaseModel):
    lecturer_id: int
    engagement_id: int


class SessionOut(BaseModel):
    number: int
    held_on: date
    hours: Decimal2
    topic: str
    lecturers: list[SessionLecturerOut]


class ClassOut(BaseModel):
    id: int
    code: str
    title: str
    agency_code: str
    course_id: int | None
    created_by: str
    created_at: datetime
    sessions: list[SessionOut]
