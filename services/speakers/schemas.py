"""Request and response bodies of the speakers service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from services.common.decimals import Decimal2
from services.common.ids import Id
from services.common.timeutil import parse_any_date
from services.speakers.domain.consent import Disclosure

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,16}$")]
OptionalAgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{0,16}$")]
Organisation = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Biography = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
# Loose on purpose: an address is checked by delivering to it, not by a regex.
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$"
    ),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+()#\- ]*$")
]
Expertise = list[
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
]
CategoryCodes = list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,16}$")]]
PersonId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LecturerCreate(Strict):
    name: Name
    organisation: Organisation = Field(
        default="", description="Current agency's name (服務機關名稱)"
    )
    agency_code: OptionalAgencyCode = ""
    title: Title = ""
    expertise: Expertise = Field(default_factory=list, max_length=20, description="專長領域")
    category_codes: CategoryCodes = Field(
        default_factory=list, max_length=20, description="終身學習入口網站課程類別 codes"
    )
    biography: Biography = ""
    email: Email = ""
    phone: Phone = ""
    person_id: PersonId | None = Field(
        default=None, description="The lecturer's own person id: its account edits the profile"
    )


class LecturerUpdate(Strict):
    """What a training officer corrects; the consent is the lecturer's alone."""

    name: Name | None = None
    organisation: Organisation | None = None
    agency_code: OptionalAgencyCode | None = None
    title: Title | None = None
    expertise: Expertise | None = Field(default=None, max_length=20)
    category_codes: CategoryCodes | None = Field(default=None, max_length=20)
    biography: Biography | None = None
    email: Email | None = None
    phone: Phone | None = None
    person_id: PersonId | None = None
    active: bool | None = None


class ProfileUpdate(Strict):
    """What a lecturer edits in their own profile."""

    name: Name | None = None
    organisation: Organisation | None = None
    agency_code: OptionalAgencyCode | None = None
    title: Title | None = None
    expertise: Expertise | None = Field(default=None, max_length=20)
    category_codes: CategoryCodes | None = Field(default=None, max_length=20)
    biography: Biography | None = None
    email: Email | None = None
    phone: Phone | None = None


class LecturerOut(BaseModel):
    """A lecturer without contact details or biography: what training validates against."""

    id: int
    name: str
    organisation: str
    agency_code: str
    title: str
    expertise: list[str]
    active: bool
    created_at: datetime


class CategoryOut(BaseModel):
    code: str
    name: str


class ConsentOut(BaseModel):
    email: Disclosure
    phone: Disclosure
    biography: Disclosure
    engagements: Disclosure


class ConsentUpdate(Strict):
    """Per field: `searchers` (any authorised searcher), `training_officers` or
    `hidden`. Fields left out keep their setting."""

    email: Disclosure | None = None
    phone: Disclosure | None = None
    biography: Disclosure | None = None
    engagements: Disclosure | None = None


class ConsentChangeOut(BaseModel):
    field: str
    disclosure: Disclosure
    chosen_by: str
    chosen_at: datetime


class ConsentHistoryOut(BaseModel):
    current: ConsentOut
    history: list[ConsentChangeOut]


class ProfileOut(BaseModel):
    """A lecturer's own profile, in full."""

    id: int
    name: str
    organisation: str
    agency_code: str
    title: str
    expertise: list[str]
    categories: list[CategoryOut]
    biography: str
    email: str
    phone: str
    consent: ConsentOut
    last_engaged_on: date | None
    updated_at: datetime | None


class EngagementCreate(Strict):
    class_ref: Annotated[
        str,
        StringConstraints(pattern=r"^[A-Za-z0-9:._-]{1,80}$"),
        Field(description="The caller's reference to the class, e.g. training:CLS-2026-01"),
    ]
    session_number: int = Field(ge=1, le=1000)
    lecturer_id: Id
    agency_code: AgencyCode = Field(description="The hosting agency's code")
    # After the day that stands for "never engaged" in the search index.
    held_on: date = Field(gt=date(1, 1, 1))
    hours: Decimal2 = Field(gt=0, le=24, max_digits=7, decimal_places=2)
    topic: Annotated[str, StringConstraints(max_length=300)] = ""
    class_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = Field(
        default="", description="班別名稱"
    )
    course_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = Field(
        default="", description="課程名稱; the topic when left empty"
    )
    hosting_agency: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = (
        Field(default="", description="The hosting agency's name")
    )


class EngagementOut(BaseModel):
    id: int
    class_ref: str
    session_number: int
    lecturer_id: int
    agency_code: str
    held_on: date
    hours: Decimal2
    topic: str
    class_name: str
    course_name: str
    hosting_agency: str
    hidden: bool
    recorded_by: str
    recorded_at: datetime


class EngagementVisibility(Strict):
    hidden: bool = Field(description="Hidden records never show to searchers nor match a search")


class EngagementBrief(BaseModel):
    """An engagement record as a search result shows it."""

    class_name: str
    course_name: str
    held_on: date
    hosting_agency: str
    hours: Decimal2


class SearchResult(BaseModel):
    """A lecturer as the caller may see it: each optional field is present only
    when the lecturer's consent discloses it to the caller's role."""

    id: int
    name: str
    organisation: str
    agency_code: str
    title: str
    expertise: list[str]
    categories: list[CategoryOut]
    score: int = Field(description="Match quality: per criterion 3 exact, 2 prefix, 1 substring")
    biography: str | None = None
    email: str | None = None
    phone: str | None = None
    last_engaged_on: date | None = None
    engagements: list[EngagementBrief] | None = Field(
        default=None, description="The latest engagement records (at most 5), when disclosed"
    )
    can_message: bool = Field(
        description="Whether the caller may write through POST /lecturers/{id}/messages"
    )


class MessageCreate(Strict):
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    reply_to: Email = Field(default="", description="Where the lecturer may answer, if given")


class MessageSent(BaseModel):
    """What the sender learns: that the message is on its way, nothing of the address."""

    id: int
    lecturer_id: int
    sent_at: datetime


class MessageOut(BaseModel):
    """A message as its lecturer reads it: who wrote, and what."""

    id: int
    sender: str
    sender_person_id: str | None
    sender_agency_code: str | None
    subject: str
    body: str
    reply_to: str
    sent_at: datetime


# ------------------------------------------------------------------ imports

SourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
ImportSource = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,20}$")]


def _items(value: object) -> object:
    """A list cell: items separated by `;` (or the full-width `；`), blanks dropped."""
    if isinstance(value, str):
        return [item.strip() for item in value.replace("；", ";").split(";") if item.strip()]
    return value


def _any_date(value: object) -> object:
    if isinstance(value, str):
        try:
            return parse_any_date(value)
        except ValueError:
            raise ValueError("expected a date such as 2026-01-02 or 115/01/02") from None
    return value


ImportedExpertise = Annotated[Expertise, BeforeValidator(_items), Field(max_length=20)]
ImportedCategories = Annotated[CategoryCodes, BeforeValidator(_items), Field(max_length=20)]
ImportDate = Annotated[date, BeforeValidator(_any_date)]


class LecturerImportRow(Strict):
    """One lecturer of a source's export, keyed by the source's own number."""

    source_id: SourceId
    name: Name
    organisation: Organisation = ""
    agency_code: OptionalAgencyCode = ""
    title: Title = ""
    expertise: ImportedExpertise = Field(default_factory=list)
    category_codes: ImportedCategories = Field(default_factory=list)
    biography: Biography = ""
    email: Email = ""
    phone: Phone = ""
    person_id: PersonId | None = None
    active: bool = True


class EngagementImportRow(Strict):
    """One engagement record of a source's export; its lecturer named by the
    source's lecturer number, imported before (or earlier in the same file)."""

    lecturer_source_id: SourceId
    class_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    course_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    held_on: Annotated[ImportDate, Field(gt=date(1, 1, 1))]
    hosting_agency: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    hours: Decimal2 = Field(gt=0, le=24, max_digits=7, decimal_places=2)
    agency_code: OptionalAgencyCode = ""
