"""Tables of the speakers database, on a metadata no other service shares."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Index, Numeric, PrimaryKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.audit import personal_data_reads_table
from services.common.columns import one_of, utc_column, utc_now_field
from services.common.db import new_registry
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.notices import StoredNotice
from services.speakers.domain.consent import ConsentField, Disclosure

_registry = new_registry()
metadata = _registry.metadata

DISCLOSURES = tuple(d.value for d in Disclosure)
CONSENT_FIELDS = tuple(f.value for f in ConsentField)
# The fields the search index knows, as stored in `search_values.field`.
SEARCH_FIELDS = ("class", "course", "name", "agency", "expertise", "category")


class SpeakersTable(SQLModel, registry=_registry):
    """Base class of every speakers table."""


class Lecturer(SpeakersTable, table=True):
    """A lecturer (講座). `organisation` is the current agency's name (服務機關名稱);
    `person_id` links the row to the lecturer's own account (its person id in the
    directory), through which the lecturer reads and edits the profile."""

    __tablename__ = "lecturers"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        one_of("email_disclosure", DISCLOSURES),
        one_of("phone_disclosure", DISCLOSURES),
        one_of("biography_disclosure", DISCLOSURES),
        one_of("engagements_disclosure", DISCLOSURES),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    organisation: str = Field(default="", max_length=200)
    agency_code: str = Field(default="", max_length=16)
    title: str = Field(default="", max_length=100)
    expertise: list[str] = Field(sa_column=Column(JSON, nullable=False))
    biography: str = Field(default="", max_length=4000)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    person_id: str | None = Field(default=None, max_length=64, unique=True)
    # Where an imported lecturer came from, for idempotent re-imports.
    source: str | None = Field(default=None, max_length=32)
    external_id: str | None = Field(default=None, max_length=64)
    # The current consent, the latest row of `lecturer_consents` per field.
    email_disclosure: str = Field(default="hidden", max_length=20)
    phone_disclosure: str = Field(default="hidden", max_length=20)
    biography_disclosure: str = Field(default="training_officers", max_length=20)
    engagements_disclosure: str = Field(default="training_officers", max_length=20)
    # The latest engagement not hidden by the lecturer: the search's second key.
    last_engaged_on: date | None = Field(default=None, index=True)
    active: bool = True
    created_by: str = Field(max_length=128)
    created_at: datetime = utc_now_field()
    updated_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class LecturerConsent(SpeakersTable, table=True):
    """The consent history: each choice a lecturer made, kept; the latest per
    field is the one in force (copied onto the lecturer row)."""

    __tablename__ = "lecturer_consents"
    __table_args__ = (
        one_of("field", CONSENT_FIELDS),
        one_of("disclosure", DISCLOSURES),
        Index("ix_lecturer_consents_lecturer_id_field", "lecturer_id", "field"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lecturer_id: int = Field(foreign_key="lecturers.id")
    field: str = Field(max_length=20)
    disclosure: str = Field(max_length=20)
    chosen_by: str = Field(max_length=128)
    chosen_at: datetime = utc_now_field()


class CourseCategory(SpeakersTable, table=True):
    """A lifelong-learning-portal course category (終身學習入口網站課程類別)."""

    __tablename__ = "course_categories"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=100)
    active: bool = True


class LecturerCategory(SpeakersTable, table=True):
    __tablename__ = "lecturer_categories"
    __table_args__ = (PrimaryKeyConstraint("lecturer_id", "category_id"),)

    lecturer_id: int = Field(foreign_key="lecturers.id")
    category_id: int = Field(foreign_key="course_categories.id", index=True)


class Engagement(SpeakersTable, table=True):
    """An engagement record (洽聘紀錄): a lecturer teaching one session of a class;
    one row per (class, session, lecturer) so that a retried request records it
    once. `agency_code` is the hosting agency, `hosting_agency` its name."""

    __tablename__ = "engagements"
    __table_args__ = (
        UniqueConstraint("class_ref", "session_number", "lecturer_id"),
        UniqueConstraint("source", "external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    class_ref: str = Field(max_length=80, index=True)
    session_number: int
    lecturer_id: int = Field(foreign_key="lecturers.id", index=True)
    agency_code: str = Field(max_length=16, index=True)
    held_on: date
    hours: Decimal = Field(sa_column=Column(Numeric(7, 2), nullable=False))
    topic: str = Field(default="", max_length=300)
    class_name: str = Field(default="", max_length=300)
    course_name: str = Field(default="", max_length=300)
    hosting_agency: str = Field(default="", max_length=200)
    # Hidden by the lecturer: never shown to a searcher, never matched by a search.
    hidden: bool = False
    source: str | None = Field(default=None, max_length=32)
    external_id: str | None = Field(default=None, max_length=64)
    recorded_by: str = Field(max_length=128)
    recorded_at: datetime = utc_now_field()


class SearchValue(SpeakersTable, table=True):
    """One distinct folded value of one searchable field (a class name, a course
    name, an expertise field, ...): a million engagements share far fewer names."""

    __tablename__ = "search_values"
    __table_args__ = (UniqueConstraint("field", "norm"), one_of("field", SEARCH_FIELDS))

    id: int | None = Field(default=None, primary_key=True)
    field: str = Field(max_length=12)
    norm: str = Field(max_length=300)


class SearchGram(SpeakersTable, table=True):
    """The unigrams and bigrams of each value, looked up by (field, gram)."""

    __tablename__ = "search_grams"
    __table_args__ = (PrimaryKeyConstraint("field", "gram", "value_id"),)

    field: str = Field(max_length=12)
    gram: str = Field(max_length=2)
    value_id: int = Field(foreign_key="search_values.id", index=True)


class SearchLink(SpeakersTable, table=True):
    """Which lecturer holds which value; for class and course names only the
    engagements the lecturer has not hidden count.

    `engaged_on` and `searcher_engaged_on` are the day each audience ranks the
    lecturer by (`consent.ranking_day`: its `last_engaged_on` for a training
    officer, and for an authorised searcher, when the lecturer's engagement
    records are disclosed to it; NEVER otherwise), copied onto every link of
    the lecturer: the ranking's second key, so that the links of one value are
    read best first from their index and a search stops once its page is full,
    without joining every matching lecturer."""

    __tablename__ = "search_links"
    __table_args__ = (
        PrimaryKeyConstraint("value_id", "lecturer_id"),
        Index("ix_search_links_value_id_engaged_on", "value_id", "engaged_on", "lecturer_id"),
        Index(
            "ix_search_links_value_id_searcher_engaged_on",
            "value_id",
            "searcher_engaged_on",
            "lecturer_id",
        ),
    )

    value_id: int = Field(foreign_key="search_values.id")
    lecturer_id: int = Field(foreign_key="lecturers.id", index=True)
    engaged_on: date = Field(default=date(1, 1, 1))
    searcher_engaged_on: date = Field(default=date(1, 1, 1))


class SearchAudit(SpeakersTable, table=True):
    """Every search: who searched, with which criteria, and how many lecturers it
    returned. Never a result's contact details."""

    __tablename__ = "search_audits"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_now_field()
    searcher: str = Field(max_length=128, index=True)
    searcher_person_id: str | None = Field(default=None, max_length=64)
    audience: str = Field(max_length=20)
    request_id: str | None = Field(default=None, max_length=128)
    criteria: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    result_count: int
    more: bool = False


class LecturerMessage(SpeakersTable, table=True):
    """A message to a lecturer sent through the relay: the sender never learns the
    lecturer's address; the lecturer sees who wrote."""

    __tablename__ = "lecturer_messages"
    __table_args__ = (Index("ix_lecturer_messages_sender_sent_at", "sender", "sent_at"),)

    id: int | None = Field(default=None, primary_key=True)
    lecturer_id: int = Field(foreign_key="lecturers.id", index=True)
    sender: str = Field(max_length=128)
    sender_person_id: str | None = Field(default=None, max_length=64)
    sender_agency_code: str | None = Field(default=None, max_length=16)
    subject: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    reply_to: str = Field(default="", max_length=254)
    sent_at: datetime = utc_now_field()


class Notice(SpeakersTable, StoredNotice, table=True):
    """A relayed message on its way to the lecturer (the kernel's stored notice)."""

    __tablename__ = "notices"

    lecturer_id: int = Field(foreign_key="lecturers.id", index=True)


class ImportJob(SpeakersTable, StoredImportJob, table=True):
    """A lecturer or engagement import (`services.common.importing`); `source`
    is the import, `lecturers` or `engagements`, and `record_source` the
    database the rows come from (the academy's, `academy`): what a worker
    builds a queued job's import from."""

    __tablename__ = "import_jobs"
    __table_args__ = (UniqueConstraint("source", "idempotency_key"),)

    record_source: str | None = Field(default=None, max_length=32)


class ImportRowError(SpeakersTable, StoredImportError, table=True):
    __tablename__ = "import_errors"

    job_id: int = Field(foreign_key="import_jobs.id", index=True)


personal_data_reads = personal_data_reads_table(metadata)
